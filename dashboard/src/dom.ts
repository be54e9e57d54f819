/**
 * Building the page: elements are made with textContent and attributes, never innerHTML, so
 * whatever an experiment's name says is shown as text.
 */
type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, '').toLowerCase(), value);
    else if (name === 'class') el.className = String(value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** Offers a blob as a file download. */
export function download(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, class: 'hidden' });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A scrollable wrapper for a wide table, reachable and scrollable by keyboard. */
export function tableWrap(label: string, table: HTMLTableElement): HTMLElement {
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': label, tabindex: 0 }, table);
}

const GLOSSARY: Record<string, string> = {
  lift: 'Lift: how much the personalized variant changes the metric relative to the control (+10 % means 10 % more).',
  ci: 'Confidence interval: the range of lifts compatible with the data; the true lift lies in it 95 times out of 100.',
  'p-value': 'p-value: how surprising the difference would be if the variant had no effect; small (below 0.05) means unlikely to be chance.',
  'win rate': 'Win rate: the share of finished experiments of a tactic that shipped (wins ÷ wins, losses and inconclusive).',
  'for whom': 'For whom: the lift per customer segment (device, channel, lifecycle), to see who the personalization works for.',
  'chance to beat': 'Chance to beat control: the probability, given the data, that the variant is better than the control.',
};

/** A term with its glossary definition, as a tooltip on hover and keyboard focus, and read by screen readers. */
export function term(label: string, key: keyof typeof GLOSSARY | string): HTMLElement {
  const id = `glossary-${key.replace(/[^a-z]/g, '-')}`;
  if (!document.getElementById(id)) document.body.appendChild(h('span', { id, class: 'visually-hidden' }, GLOSSARY[key] ?? ''));
  return h('span', { class: 'term', tabindex: 0, 'data-tip': GLOSSARY[key] ?? '', 'aria-describedby': id }, label);
}

export function glossary(): HTMLElement {
  return h(
    'details',
    { class: 'glossary' },
    h('summary', {}, 'Glossary'),
    h('dl', {}, Object.values(GLOSSARY).map((text) => {
      const [name, ...rest] = text.split(': ');
      return [h('dt', {}, name), h('dd', {}, rest.join(': '))];
    })),
  );
}
