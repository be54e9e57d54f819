import { api, type Decision, type Experiment } from './api';
import { clear, h, tableWrap, term } from './dom';
import { count, days, interval, lift } from './format';
import { badge, csvOfRows } from './experiment-page';

/** The experiments: status, tactic, days running, units, the primary metric's lift and the decision; filters and search. */
interface Row {
  e: Experiment;
  d: Decision | null;
}

/** Runs fn over items, at most `n` at a time. */
async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  }));
  return out;
}

const primaryOf = (d: Decision | null) => d?.primary.find((c) => c.variant === d.variant) ?? [...(d?.primary ?? [])].sort((a, b) => (b.relative.estimate ?? -Infinity) - (a.relative.estimate ?? -Infinity))[0];
const unitsOf = (d: Decision | null) => (d ? d.srm.observed.reduce((a, o) => a + o.units, 0) : null);

export async function listPage(): Promise<HTMLElement> {
  const experiments = (await api.experiments()).filter((e) => e.status !== 'archived');
  const rows: Row[] = await pool(experiments, 6, async (e) => ({ e, d: e.status === 'draft' ? null : await api.decision(e.key).catch(() => null) }));
  const tactics = [...new Set(experiments.map((e) => e.tactic))].sort();
  const status = h('select', { id: 'filter-status' }, h('option', { value: '' }, 'All'), ['draft', 'running', 'paused', 'completed'].map((s) => h('option', { value: s }, s)));
  const tactic = h('select', { id: 'filter-tactic' }, h('option', { value: '' }, 'All'), tactics.map((t) => h('option', { value: t }, t)));
  const search = h('input', { id: 'search', type: 'search', placeholder: 'Name or key' });
  const tbody = h('tbody', {});
  const summary = h('p', { class: 'muted', 'aria-live': 'polite' });

  const shown = () =>
    rows.filter(({ e }) => {
      const q = search.value.trim().toLowerCase();
      return (!status.value || e.status === status.value) && (!tactic.value || e.tactic === tactic.value) && (!q || e.name.toLowerCase().includes(q) || e.key.includes(q));
    });
  const render = () => {
    clear(tbody);
    const list = shown();
    summary.textContent = `${list.length} of ${rows.length} experiments`;
    for (const { e, d } of list) {
      const c = primaryOf(d);
      tbody.appendChild(
        h(
          'tr',
          { 'data-key': e.key },
          h('th', { scope: 'row' }, h('a', { href: `#/experiments/${encodeURIComponent(e.key)}` }, e.name), h('div', { class: 'muted small' }, e.key)),
          h('td', {}, h('span', { class: `status status-${e.status}` }, e.status)),
          h('td', {}, h('a', { href: `#/tactics/${encodeURIComponent(e.tactic)}` }, e.tactic)),
          h('td', { class: 'num', 'data-col': 'days' }, d ? days(d.daysRunning) : '—'),
          h('td', { class: 'num', 'data-col': 'units' }, count(unitsOf(d))),
          h('td', { class: 'num', 'data-col': 'lift' }, c ? lift(c.relative.estimate) : '—', c?.relative.ci ? h('div', { class: 'muted small' }, interval(c.relative.ci)) : null),
          h('td', { 'data-col': 'decision' }, d ? badge(d.decision) : h('span', { class: 'muted' }, 'draft')),
        ),
      );
    }
  };
  for (const el of [status, tactic]) el.addEventListener('change', render);
  search.addEventListener('input', render);
  render();

  const csv = () =>
    csvOfRows('experiments.csv', [
      ['key', 'name', 'status', 'tactic', 'days_running', 'units', 'primary_metric', 'variant', 'lift', 'ci_low', 'ci_high', 'decision'],
      ...shown().map(({ e, d }) => {
        const c = primaryOf(d);
        return [e.key, e.name, e.status, e.tactic, d?.daysRunning ?? null, unitsOf(d), d?.metric ?? null, c?.variant ?? null, c?.relative.estimate ?? null, c?.relative.ci?.[0] ?? null, c?.relative.ci?.[1] ?? null, d?.decision ?? null];
      }),
    ]);

  return h(
    'div',
    {},
    h('h1', {}, 'Experiments'),
    h(
      'div',
      { class: 'filters' },
      h('label', { for: 'filter-status' }, 'Status', status),
      h('label', { for: 'filter-tactic' }, 'Tactic', tactic),
      h('label', { for: 'search' }, 'Search', search),
      h('button', { type: 'button', class: 'secondary csv', onclick: csv }, 'Download as CSV'),
    ),
    summary,
    tableWrap(
      'Experiments',
      h(
        'table',
        { id: 'experiments' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Experiment'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Tactic'), h('th', { scope: 'col', class: 'num' }, 'Days'), h('th', { scope: 'col', class: 'num' }, 'Units'), h('th', { scope: 'col', class: 'num' }, 'Primary ', term('lift', 'lift')), h('th', { scope: 'col' }, 'Decision'))),
        tbody,
      ),
    ),
  );
}
