import { api, type Scorecard } from './api';
import { forestPlot } from './charts';
import { download, h, tableWrap, term } from './dom';
import { count, interval, lift, percent } from './format';
import { badge } from './experiment-page';

/**
 * Which personalization tactics work: per tactic and primary metric, the win rate, the pooled
 * lift (random effects) with its interval and I², the per-segment win rates (and pooled lifts
 * when the API gives them), and its experiments.
 */
type CardMetric = Scorecard['metrics'][number];
type Pooled = CardMetric['pooled'];

/** "+12.0 % (95 % CI +4.1 % to +20.5 %) over 3 experiments", marked provisional when running ones are in it. */
const pooledText = (p: NonNullable<Pooled>) =>
  `${lift(p.random.lift)} (95 % CI ${interval(p.random.ci)}) over ${p.experiments} experiment${p.experiments === 1 ? '' : 's'}${p.provisional ? ', provisional (running experiments in it)' : ''}`;

const winRate = (w: { wins: number; losses: number; inconclusive: number; rate: number | null }) =>
  `${percent(w.rate, 0)} (${w.wins} won, ${w.losses} lost, ${w.inconclusive} inconclusive)`;

function metricBlock(card: Scorecard, m: CardMetric): HTMLElement {
  const pooled = m.pooled;
  const segments = m.segments;
  return h(
    'div',
    { class: 'tactic-metric', 'data-metric': m.metric },
    h('h3', {}, `Primary metric: ${m.metric}`),
    h(
      'dl',
      { class: 'stats' },
      h('dt', {}, term('Win rate', 'win rate')),
      h('dd', { 'data-stat': 'win-rate' }, winRate(m.winRate)),
      h('dt', {}, 'Pooled ', term('lift', 'lift')),
      h('dd', { 'data-stat': 'pooled' }, pooled ? pooledText(pooled) : 'not enough experiments to pool'),
      h('dt', {}, 'Heterogeneity I²'),
      h('dd', { 'data-stat': 'i2' }, pooled ? `${percent(pooled.i2, 0)}${pooled.i2 > 0.5 ? ': the tactic works only sometimes' : ''}` : '—'),
    ),
    m.experiments.length
      ? forestPlot(
          m.experiments.map((x) => ({ label: x.name, estimate: x.lift, ci: x.ci })),
          `Lift of each ${card.tactic} experiment`,
        )
      : null,
    tableWrap(
      `Experiments of ${card.tactic}`,
      h(
        'table',
        { class: 'compact' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Experiment'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col', class: 'num' }, 'Lift'), h('th', { scope: 'col', class: 'num' }, '95 % CI'), h('th', { scope: 'col' }, 'Decision'), h('th', { scope: 'col' }, 'Counted'))),
        h('tbody', {}, m.experiments.map((x) => h('tr', { 'data-key': x.key }, h('th', { scope: 'row' }, h('a', { href: `#/experiments/${encodeURIComponent(x.key)}` }, x.name)), h('td', {}, x.status), h('td', { class: 'num' }, lift(x.lift)), h('td', { class: 'num' }, interval(x.ci)), h('td', {}, badge(x.decision)), h('td', {}, x.counted ? (x.outcome ?? 'yes') : 'not yet')))),
      ),
    ),
    segments.length
      ? [
          h('h4', {}, term('For whom', 'for whom'), ': per segment'),
          tableWrap(
            `Segments of ${card.tactic}`,
            h(
              'table',
              { class: 'compact' },
              h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Segment'), h('th', { scope: 'col', class: 'num' }, 'Experiments'), h('th', { scope: 'col' }, 'Win rate'), h('th', { scope: 'col', class: 'num' }, 'Pooled lift'), h('th', { scope: 'col', class: 'num' }, 'I²'))),
              h('tbody', {}, segments.map((s) => {
                const label = `${s.attribute} = ${s.value ?? '(not sent)'}`;
                return h(
                  'tr',
                  { 'data-segment': label },
                  h('th', { scope: 'row' }, label),
                  h('td', { class: 'num' }, count(s.experiments)),
                  h('td', { 'data-col': 'win-rate' }, winRate(s)),
                  h('td', { class: 'num', 'data-col': 'pooled' }, s.pooled ? `${lift(s.pooled.random.lift)} (${interval(s.pooled.random.ci)})` : '—'),
                  h('td', { class: 'num', 'data-col': 'i2' }, s.pooled ? percent(s.pooled.i2, 0) : '—'),
                );
              })),
            ),
          ),
        ]
      : null,
  );
}

export async function tacticsPage(focus?: string): Promise<HTMLElement> {
  const tactics = await api.tactics();
  const cards = await Promise.all(tactics.map((t) => api.scorecard(t.tactic).catch(() => null)));
  const page = h(
    'div',
    {},
    h('h1', {}, 'Tactics'),
    h('p', { class: 'muted' }, 'Which personalization tactics work, across experiments. A win is a ship decision, a loss a rollback, inconclusive a completed experiment with neither; running experiments not yet decided, and invalid ones, are listed but not counted. Pooled lifts take the completed experiments.'),
    tactics.map((t, i) => {
      const card = cards[i];
      return h(
        'section',
        { class: 'card tactic', id: `tactic-${t.tactic}`, 'data-tactic': t.tactic, 'aria-labelledby': `tactic-title-${t.tactic}` },
        h('h2', { id: `tactic-title-${t.tactic}` }, t.tactic),
        h('p', { class: 'muted' }, `${t.experiments} experiment${t.experiments === 1 ? '' : 's'}: ${Object.entries(t.byStatus).map(([s, n]) => `${n} ${s}`).join(', ')}`),
        card ? card.metrics.map((m) => metricBlock(card, m)) : h('p', { class: 'muted' }, 'No started experiment yet.'),
        card
          ? h('button', { type: 'button', class: 'secondary csv', onclick: async () => download(`${t.tactic}-scorecard.csv`, await api.csv(`/v1/tactics/${encodeURIComponent(t.tactic)}`)) }, 'Download as CSV')
          : null,
      );
    }),
  );
  if (focus) queueMicrotask(() => document.getElementById(`tactic-${focus}`)?.scrollIntoView());
  return page;
}
