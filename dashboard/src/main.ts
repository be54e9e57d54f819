import { api, ApiError, session } from './api';
import { clear, glossary, h } from './dom';
import { experimentPage } from './experiment-page';
import { formPage } from './form-page';
import { listPage } from './list-page';
import { tacticsPage } from './tactics-page';

/**
 * The dashboard's shell: sign-in, navigation, theme, and the hash routes
 *   #/                       experiments
 *   #/experiments/{key}      one experiment
 *   #/experiments/{key}/edit edit it (admin)
 *   #/tactics[/{tactic}]     tactics
 *   #/new                    create an experiment (admin)
 */
const THEME = 'verdict.theme';
const themes = ['auto', 'light', 'dark'] as const;

function applyTheme(t: string) {
  if (t === 'auto') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = t;
}

function signIn(root: HTMLElement, message?: string) {
  clear(root);
  const key = h('input', { id: 'api-key', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const error = h('p', { class: 'form-error', role: 'alert', id: 'sign-in-error' }, message ?? '');
  const form = h(
    'form',
    {
      class: 'card sign-in',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        error.textContent = '';
        try {
          const scope = await api.scopeOf(key.value.trim());
          session.set(key.value.trim(), scope);
          route();
        } catch (err) {
          error.textContent =
            err instanceof ApiError && err.status === 401
              ? 'This key was refused: it is unknown, revoked or mistyped.'
              : err instanceof ApiError && err.status === 403
                ? 'This key cannot read experiments (an assign key?): use a read or admin key.'
                : `Could not sign in: ${err instanceof Error ? err.message : String(err)}`;
          key.setAttribute('aria-invalid', 'true');
          key.focus();
        }
      },
    },
    h('h1', {}, 'Verdict'),
    h('p', {}, 'Which personalization works, and for whom. Sign in with an API key: a read key to look, an admin key to create and change experiments. The key is kept for this browser session only.'),
    h('label', { for: 'api-key' }, 'API key'),
    key,
    error,
    h('button', { type: 'submit' }, 'Sign in'),
  );
  root.appendChild(h('main', { id: 'main', class: 'narrow' }, form));
  key.focus();
}

function shell(root: HTMLElement): HTMLElement {
  clear(root);
  const theme = localStorage.getItem(THEME) ?? 'auto';
  const themeButton = h('button', { type: 'button', class: 'secondary', id: 'theme', 'aria-label': `Theme: ${theme}` }, `Theme: ${theme}`);
  themeButton.addEventListener('click', () => {
    const next = themes[(themes.indexOf((localStorage.getItem(THEME) ?? 'auto') as (typeof themes)[number]) + 1) % themes.length];
    localStorage.setItem(THEME, next);
    applyTheme(next);
    route();
  });
  const admin = session.scope() === 'admin';
  const here = location.hash || '#/';
  const link = (href: string, label: string, active: boolean) => h('a', { href, 'aria-current': active ? 'page' : null }, label);
  const main = h('main', { id: 'main', tabindex: -1 });
  root.append(
    h(
      'header',
      { class: 'top' },
      h('a', { class: 'brand', href: '#/' }, 'Verdict'),
      h(
        'nav',
        { 'aria-label': 'Main' },
        link('#/', 'Experiments', here === '#/' || here.startsWith('#/experiments')),
        link('#/tactics', 'Tactics', here.startsWith('#/tactics')),
        admin ? link('#/new', 'New experiment', here === '#/new') : null,
      ),
      h('div', { class: 'session' }, h('span', { class: 'muted small' }, `${session.scope()} key`), themeButton, h('button', { type: 'button', class: 'secondary', id: 'sign-out', onclick: () => (session.clear(), route()) }, 'Sign out')),
    ),
    main,
    h('footer', {}, glossary(), h('p', { class: 'muted small' }, h('a', { href: '/docs' }, 'API documentation'))),
  );
  return main;
}

let generation = 0;

async function route() {
  const root = document.getElementById('app')!;
  if (!session.key()) return signIn(root);
  const main = shell(root);
  const mine = ++generation;
  main.setAttribute('aria-busy', 'true');
  main.appendChild(h('p', { class: 'muted' }, 'Loading…'));
  const path = (location.hash.replace(/^#/, '') || '/').split('/').filter(Boolean).map(decodeURIComponent);
  try {
    let page: HTMLElement;
    if (path[0] === 'experiments' && path[1] && path[2] === 'edit') page = formPage(await api.experiment(path[1]));
    else if (path[0] === 'experiments' && path[1] && path[2] === 'acknowledged') page = await experimentPage(path[1], route, { acknowledge: ['suspicious_lift'] });
    else if (path[0] === 'experiments' && path[1]) page = await experimentPage(path[1], route);
    else if (path[0] === 'tactics') page = await tacticsPage(path[1]);
    else if (path[0] === 'new') page = formPage();
    else page = await listPage();
    if (mine !== generation) return;
    clear(main);
    main.appendChild(page);
    const title = page.querySelector('h1')?.textContent;
    document.title = title ? `${title} · Verdict` : 'Verdict';
  } catch (err) {
    if (mine !== generation) return;
    clear(main);
    const text = err instanceof ApiError && err.status === 404 ? 'Not found.' : err instanceof Error ? err.message : String(err);
    main.appendChild(h('div', { class: 'banner banner-danger', role: 'alert' }, text));
  } finally {
    if (mine === generation) {
      main.removeAttribute('aria-busy');
      document.body.dataset.ready = 'true';
    }
  }
}

window.addEventListener('verdict:signed-out', () => {
  session.clear();
  signIn(document.getElementById('app')!, 'The key is no longer accepted; sign in again.');
});
window.addEventListener('hashchange', () => {
  delete document.body.dataset.ready;
  route();
});
applyTheme(localStorage.getItem(THEME) ?? 'auto');
route();
