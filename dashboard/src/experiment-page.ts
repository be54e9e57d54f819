import { api, session, type Arm, type Comparison, type DailyResults, type Decision, type Experiment, type FactorEffect, type ForWhom, type IntervalType, type MetricResults, type PairDecision, type Results, type SegmentDecision, type SegmentLift } from './api';
import { forestPlot, liftOverTime, type ForestRow } from './charts';
import { download, h, tableWrap, term } from './dom';
import { count, days, interval, lift, metricValue, pValue, percent, toCsv } from './format';

/**
 * One experiment: the decision in a sentence, health banners, power progress, a table per
 * metric, "for whom" per segment attribute, the lift over time, and for multivariate designs
 * the main effects and interactions. Lifecycle buttons for an admin key.
 */
const DECISION_TEXT: Record<Decision['decision'], string> = {
  ship: 'ready to ship',
  continue: 'keep it running: no clear answer yet',
  rollback: 'roll it back',
  invalid: 'do not decide on it yet: the data cannot be trusted',
};

export const badge = (decision: string | null | undefined) =>
  h('span', { class: `badge badge-${decision ?? 'none'}` }, decision ? decision.toUpperCase() : 'NO DATA');

const nameOfVariant = (e: Experiment, key: string | null | undefined) => e.variants.find((v) => v.key === key)?.name ?? key ?? '';
const nameOfMetric = (e: Experiment, key: string) => {
  const m = e.metrics.find((x) => x.key === key);
  return (m?.name || m?.key || key).toLowerCase();
};
const level = (alpha: number) => `${Math.round((1 - alpha) * 100)} %`;

/** Words for a list: "a", "a and b", "a, b and c". */
const words = (xs: readonly string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
const valueName = (v: string | null) => (v === null ? '(not sent)' : v);

/**
 * Where to roll out, from the decision's `segments` (the attribute whose lift differs most,
 * Holm-adjusted): "ready to ship to returning customers", with the values to leave out.
 * Empty when the decision has no segment verdict or ships to no value.
 */
export function segmentAction(decision: Decision): string | null {
  const s = decision.segments;
  if (!s || !s.ship_to.length) return null;
  const exclude = s.exclude.map(valueName);
  return `ready to ship to ${words(s.ship_to)} customers (${s.attribute})${exclude.length ? `, not to ${words(exclude)}` : ''}`;
}

/** The comparison the headline is about: the decided arm, else the treatment with the largest lift. */
function headlineComparison(decision: Decision) {
  const byVariant = decision.primary.find((c) => c.variant === decision.variant);
  if (byVariant) return byVariant;
  return [...decision.primary].sort((a, b) => (b.relative.estimate ?? -Infinity) - (a.relative.estimate ?? -Infinity))[0];
}

export function headline(e: Experiment, decision: Decision): string {
  const c = headlineComparison(decision);
  const metric = nameOfMetric(e, decision.metric);
  const phrase = heldBack(decision) ? 'held back: the lift is suspiciously large, check the tracking first' : DECISION_TEXT[decision.decision];
  const segment = decision.decision === 'invalid' ? null : segmentAction(decision);
  // A segment verdict says where to roll out; the experiment's own decision stays beside it when it differs.
  const action = segment ? (decision.decision === 'ship' ? segment : `${segment}; overall: ${phrase}`) : phrase;
  if (!c || c.relative.estimate === null) return `${e.name}: no lift on ${metric} yet; ${action}.`;
  const r = c.relative.estimate;
  const verb = r > 0 ? 'raises' : r < 0 ? 'lowers' : 'does not change';
  const by = r === 0 ? '' : ` by ${percent(Math.abs(r))}`;
  const ci = c.relative.ci ? ` (${level(decision.alpha)} CI ${interval(c.relative.ci)})` : '';
  return `${nameOfVariant(e, c.variant)} ${verb} ${metric}${by}${ci}; ${action}.`;
}

/** The API's warning texts (src/results/trust-checks.ts), by kind. */
const isSuspicious = (w: string) => /suspiciously large/.test(w);
const isNotEnoughData = (w: string) => /not enough data yet/.test(w);
/** Whether the decision is invalid because of an unacknowledged suspicious lift on the decided metric (its warnings name the metric first). */
const heldBack = (d: Decision) => d.decision === 'invalid' && !d.srm.mismatch && d.warnings.some((w) => isSuspicious(w) && w.startsWith(`${d.metric}, `));

/**
 * Health banners from the decision's `warnings` (the decided metric and its guardrails) and the
 * results' sample ratio check: a mismatch, not enough data, a suspicious lift (with a link to
 * decide again with it acknowledged, once the tracking is checked).
 */
function banners(e: Experiment, results: Results, decision: Decision | null, acknowledged: boolean): HTMLElement[] {
  const out: HTMLElement[] = [];
  const banner = (kind: string, id: string, title: string, ...body: (string | HTMLElement | null)[]) =>
    h('div', { class: `banner banner-${kind}`, role: 'status', 'data-banner': id }, h('strong', {}, title), ' ', ...body);
  if (results.srm.mismatch) {
    out.push(banner('danger', 'srm', 'Sample ratio mismatch.', `The split of units between variants is not what the weights say (p = ${pValue(results.srm.pValue)}): an assignment or tracking bug. Do not trust these results.`));
  }
  const warnings = decision?.warnings ?? [];
  const thin = warnings.filter(isNotEnoughData);
  if (thin.length) {
    out.push(banner('warn', 'data', 'Not enough data.', `${results.minimumData.rule} No p-value is shown until then.`, h('ul', {}, thin.map((w) => h('li', {}, w)))));
  }
  const suspicious = warnings.filter(isSuspicious);
  const held = decision !== null && heldBack(decision);
  if (suspicious.length) {
    out.push(
      banner(
        'danger',
        'suspicious',
        'Suspicious lift.',
        acknowledged
          ? 'Acknowledged: the tracking was checked, so the decision above may ship it.'
          : `A lift this large on this little data is more often a tracking bug than a real effect: check the tracking.${held ? ' The decision holds the ship back until the lift is acknowledged.' : ''}`,
        h('ul', {}, suspicious.map((w) => h('li', {}, w))),
        acknowledged
          ? h('a', { href: `#/experiments/${encodeURIComponent(e.key)}` }, 'Decide without the acknowledgement')
          : held
            ? h('a', { href: `#/experiments/${encodeURIComponent(e.key)}/acknowledged` }, 'I checked the tracking: decide with the lift acknowledged')
            : null,
      ),
    );
  }
  return out;
}

/** "62 % of the sample needed to detect a 5 % lift" (a drop, for a metric that should decrease), and what the observed lift needs. */
function powerProgress(m: MetricResults): HTMLElement | null {
  const p = m.power;
  if (p.unitsPerArm === null || p.unitsPerArm === 0) return h('p', { class: 'muted' }, `Power: ${p.reason ?? 'not computable yet.'}`);
  const share = Math.min(1, p.currentUnitsPerArm / p.unitsPerArm);
  const change = p.direction === 'decrease' ? 'drop' : 'lift';
  const text = `${percent(share, 0)} of the sample needed to detect a ${percent(Math.abs(p.lift), 0)} ${change} (${count(p.currentUnitsPerArm)} of ${count(p.unitsPerArm)} units per arm)`;
  const o = p.observed;
  const observed = o
    ? o.unitsPerArm === null
      ? null
      : `At the lift seen so far (${lift(o.lift)}, ${o.direction === 'good' ? 'the good way' : o.direction === 'bad' ? 'the wrong way' : 'no change'}), a true effect that size needs ${count(o.unitsPerArm)} units per arm: ${o.detectable ? 'the arms have them' : `${count(o.moreUnitsPerArm)} more per arm`}.`
    : null;
  return h(
    'div',
    { class: 'power' },
    h('label', { for: 'power-progress' }, text),
    h('progress', { id: 'power-progress', max: 100, value: Math.round(share * 100) }, percent(share, 0)),
    observed ? h('p', { class: 'muted', 'data-power': 'observed' }, observed) : null,
  );
}

async function csvButton(label: string, file: string, make: () => Promise<Blob>): Promise<HTMLElement> {
  return h('button', { type: 'button', class: 'secondary csv', onclick: async () => download(file, await make()) }, `Download ${label} as CSV`);
}

function metricTable(e: Experiment, m: MetricResults): HTMLTableElement {
  const control = e.variants.find((v) => v.control)?.key;
  const comparisonOf = (arm: Arm): Comparison | undefined => m.overall.comparisons.find((c) => c.variant === arm.variant);
  const valueHeader = m.type === 'binary' ? 'Rate' : m.type === 'ratio' ? 'Ratio' : 'Mean per unit';
  return h(
    'table',
    { class: 'results', 'data-metric': m.key },
    h('caption', {}, m.name || m.key, m.role === 'guardrail' ? h('span', { class: 'tag tag-guardrail' }, 'Guardrail') : null, m.role === 'primary' ? h('span', { class: 'tag' }, 'Primary') : null, m.direction === 'decrease' ? h('span', { class: 'muted' }, ' (lower is better)') : null),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Variant'), h('th', { scope: 'col', class: 'num' }, 'Units'), h('th', { scope: 'col', class: 'num' }, valueHeader), h('th', { scope: 'col', class: 'num' }, term('Lift', 'lift')), h('th', { scope: 'col', class: 'num' }, term(`${level(e.alpha)} CI`, 'ci')), h('th', { scope: 'col', class: 'num' }, term('p-value', 'p-value')), h('th', { scope: 'col', class: 'num' }, term('Chance to beat control', 'chance to beat')))),
    h(
      'tbody',
      {},
      m.overall.variants.map((arm) => {
        const c = comparisonOf(arm);
        const isControl = arm.variant === control;
        return h(
          'tr',
          { 'data-variant': arm.variant, class: c?.significant ? (c.better ? 'good' : 'bad') : '' },
          h('th', { scope: 'row' }, nameOfVariant(e, arm.variant), isControl ? h('span', { class: 'muted' }, ' (control)') : null),
          h('td', { class: 'num', 'data-col': 'units' }, count(arm.units)),
          h('td', { class: 'num', 'data-col': 'value', title: arm.reason ?? null }, metricValue(m.type, arm.value)),
          h('td', { class: 'num', 'data-col': 'lift', title: c?.relative.reason ?? null }, isControl ? '' : lift(c?.relative.estimate)),
          h('td', { class: 'num', 'data-col': 'ci' }, isControl ? '' : interval(c?.relative.ci)),
          h('td', { class: 'num', 'data-col': 'p' }, isControl ? '' : pValue(c?.pValueAdjusted ?? c?.pValue)),
          h('td', { class: 'num', 'data-col': 'beat' }, isControl ? '' : percent(c?.chanceToBeatControl, 0)),
        );
      }),
    ),
  );
}

/** The heterogeneity verdict of one attribute: whether the lift differs by it, with Q, its Holm-adjusted p-value, I² and τ². */
const pIs = (p: number | null) => (p !== null && p < 0.001 ? 'p < 0.001' : `p = ${pValue(p)}`);

/** The heterogeneity verdict of one attribute: whether the lift differs by it, with Q, its Holm-adjusted p-value, I² and τ². */
export function heterogeneity(f: ForWhom): string {
  if (f.q === null) return `Not tested: ${f.reason ?? 'fewer than two values with enough data'}.`;
  const stats = `Cochran's Q = ${f.q.toFixed(2)} on ${f.df} df, ${pIs(f.pValue)}, Holm-adjusted ${pIs(f.pValueAdjusted)}; I² = ${percent(f.i2, 0)}, τ² = ${f.tau2 === null ? '—' : f.tau2.toPrecision(2)}`;
  return f.significant ? `Verdict: the lift differs by ${f.attribute} (${stats}).` : `Verdict: no evidence that the lift differs by ${f.attribute} (${stats}).`;
}

const forestRow = (v: SegmentLift): ForestRow => ({
  label: valueName(v.value),
  estimate: v.lift?.estimate ?? null,
  ci: v.lift?.ci ?? null,
  shrunk: { estimate: v.shrunk?.estimate ?? null, ci: v.shrunk?.ci ?? null },
});

/**
 * "For whom": per segment attribute of the decided metric and the decided arm (the results'
 * `forWhom`), a forest plot of the raw and the shrunk (empirical-Bayes) lift per value, ranked
 * as the API ranks them, the heterogeneity verdict, and the numbers in a table.
 */
function forWhomSection(e: Experiment, m: MetricResults, variant: string | undefined, segments: SegmentDecision | null): HTMLElement | null {
  const arm = variant ?? m.forWhom[0]?.variant;
  const blocks = m.forWhom.filter((f) => f.variant === arm);
  if (!blocks.length) return null;
  const fate = (f: ForWhom, v: SegmentLift) =>
    segments && segments.attribute === f.attribute && segments.variant === f.variant
      ? segments.ship_to.includes(v.value as string) ? 'ship' : segments.exclude.includes(v.value) ? 'exclude' : 'undecided'
      : null;
  return h(
    'section',
    { class: 'card', id: 'for-whom', 'aria-labelledby': 'for-whom-title' },
    h('h2', { id: 'for-whom-title' }, term('For whom', 'for whom'), `: ${m.name || m.key}, ${nameOfVariant(e, arm)} vs control`),
    h('p', { class: 'muted' }, 'Per value: the raw lift, from that value\'s units alone, and the shrunk lift, pulled toward the overall effect as much as the value\'s data is thin. Intervals are corrected for the number of values.'),
    blocks.map((f) =>
      h(
        'div',
        { class: 'for-whom-attribute', 'data-attribute': f.attribute, 'data-significant': String(f.significant) },
        h('h3', {}, f.attribute, f.significant ? h('span', { class: 'tag' }, 'Differs') : null),
        h('p', { class: 'verdict', 'data-verdict': f.attribute }, f.summary),
        h('p', { class: 'muted heterogeneity' }, heterogeneity(f)),
        forestPlot(f.values.map(forestRow), `Lift by ${f.attribute}`),
        tableWrap(
          `Lift by ${f.attribute}`,
          h(
            'table',
            { class: 'compact' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { scope: 'col' }, f.attribute),
                h('th', { scope: 'col', class: 'num' }, 'Units'),
                h('th', { scope: 'col', class: 'num' }, 'Raw lift'),
                h('th', { scope: 'col', class: 'num' }, 'Raw CI'),
                h('th', { scope: 'col', class: 'num' }, 'Shrunk lift'),
                h('th', { scope: 'col', class: 'num' }, 'Shrunk CI'),
                h('th', { scope: 'col' }, 'Roll out'),
              ),
            ),
            h(
              'tbody',
              {},
              f.values.map((v) => {
                const where = fate(f, v);
                return h(
                  'tr',
                  { 'data-value': valueName(v.value), class: v.significant ? (v.better ? 'good' : 'bad') : '' },
                  h('th', { scope: 'row' }, valueName(v.value)),
                  h('td', { class: 'num', 'data-col': 'units' }, count(v.units)),
                  h('td', { class: 'num', 'data-col': 'lift', title: v.reason ?? null }, lift(v.lift?.estimate)),
                  h('td', { class: 'num', 'data-col': 'ci' }, interval(v.lift?.ci)),
                  h('td', { class: 'num', 'data-col': 'shrunk' }, lift(v.shrunk?.estimate)),
                  h('td', { class: 'num', 'data-col': 'shrunk-ci' }, interval(v.shrunk?.ci)),
                  h('td', { 'data-col': 'rollout' }, where === 'ship' ? 'Ship' : where === 'exclude' ? 'Leave out' : where === 'undecided' ? 'Undecided' : '—'),
                );
              }),
            ),
          ),
        ),
      ),
    ),
  );
}

function overTimeSection(e: Experiment, daily: DailyResults, variant: string | undefined): HTMLElement {
  const points = daily.days.map((d) => {
    const c = d.comparisons.find((x) => x.variant === variant) ?? d.comparisons[0];
    return { date: d.date, estimate: c?.relative.estimate ?? null, ci: c?.relative.ci ?? null, units: d.units };
  });
  const body = points.length
    ? [
        liftOverTime(points, `Cumulative lift of ${nameOfMetric(e, daily.metric)}`),
        h('details', {}, h('summary', {}, 'The numbers per day'), tableWrap('Lift per day', h('table', { class: 'compact' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Day'), h('th', { scope: 'col', class: 'num' }, 'Units'), h('th', { scope: 'col', class: 'num' }, 'Lift'), h('th', { scope: 'col', class: 'num' }, `${level(e.alpha)} CI`))), h('tbody', {}, points.map((p) => h('tr', {}, h('th', { scope: 'row' }, p.date), h('td', { class: 'num' }, count(p.units)), h('td', { class: 'num' }, lift(p.estimate)), h('td', { class: 'num' }, interval(p.ci)))))))),
      ]
    : [h('p', { class: 'muted' }, 'No exposure recorded yet.')];
  return h(
    'section',
    { class: 'card', id: 'over-time', 'aria-labelledby': 'over-time-title' },
    h('h2', { id: 'over-time-title' }, `Lift over time: ${daily.metric}`),
    h('p', { class: 'muted' }, `Each day counts the units first exposed by its end. ${daily.analysis === 'sequential' ? 'The band is an always-valid (sequential) interval: safe to look at every day.' : 'Fixed-horizon interval: valid only when read once at the planned sample size.'}`),
    body,
  );
}

function effectsTable(title: string, effects: FactorEffect[], alpha: number): HTMLElement {
  const signed = (x: number) => `${x > 0 ? '+' : x < 0 ? '−' : ''}${Math.abs(x).toFixed(4)}`;
  return h(
    'div',
    {},
    h('h3', {}, title),
    tableWrap(
      title,
      h(
        'table',
        { class: 'compact effects' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Effect'), h('th', { scope: 'col', class: 'num' }, 'Estimate'), h('th', { scope: 'col', class: 'num' }, `${level(alpha)} CI`), h('th', { scope: 'col', class: 'num' }, 'Relative'), h('th', { scope: 'col', class: 'num' }, term('p-value (Holm)', 'p-value')), h('th', { scope: 'col' }, 'Verdict'))),
        h(
          'tbody',
          {},
          effects.map((f) =>
            h(
              'tr',
              { class: f.significant ? (f.better ? 'good' : 'bad') : '' },
              h('th', { scope: 'row' }, f.factors.map((x, i) => `${x} = ${f.levels[i]} vs ${f.baselines[i]}`).join(' × ')),
              h('td', { class: 'num', 'data-col': 'estimate', title: f.reason ?? null }, f.estimate === null ? '—' : signed(f.estimate)),
              h('td', { class: 'num', 'data-col': 'ci' }, f.ci ? `${signed(f.ci[0])} to ${signed(f.ci[1])}` : '—'),
              h('td', { class: 'num', 'data-col': 'relative' }, lift(f.relative)),
              h('td', { class: 'num', 'data-col': 'p' }, pValue(f.pValueAdjusted)),
              h('td', { 'data-col': 'significant' }, f.significant ? (f.better ? 'Helps' : 'Hurts') : 'Not significant'),
            ),
          ),
        ),
      ),
    ),
  );
}

/** Multi-arm experiments: each treatment arm's own decision against the control. */
function pairsList(e: Experiment, pairs: readonly PairDecision[]): HTMLElement | null {
  if (pairs.length < 2) return null;
  return h(
    'div',
    { class: 'pairs' },
    h('h3', {}, 'Each arm against the control'),
    h('ul', { class: 'reasons' }, pairs.map((p) => h('li', { 'data-pair': p.variant }, badge(p.decision), ' ', `${nameOfVariant(e, p.variant)}: ${p.reasons[0] ?? ''}`))),
  );
}

function lifecycle(e: Experiment, reload: () => void): HTMLElement | null {
  if (session.scope() !== 'admin') return null;
  const actions: ('start' | 'pause' | 'resume' | 'complete')[] =
    e.status === 'draft' ? ['start'] : e.status === 'running' ? ['pause', 'complete'] : e.status === 'paused' ? ['resume', 'complete'] : [];
  const msg = h('p', { class: 'form-error', role: 'alert' });
  const label = { start: 'Start', pause: 'Pause', resume: 'Resume', complete: 'Complete' };
  return h(
    'div',
    { class: 'actions' },
    e.status === 'draft' || e.status === 'running' || e.status === 'paused' ? h('a', { class: 'button secondary', href: `#/experiments/${encodeURIComponent(e.key)}/edit` }, 'Edit') : null,
    actions.map((a) =>
      h('button', {
        type: 'button',
        class: a === 'complete' ? 'secondary' : '',
        'data-action': a,
        onclick: async () => {
          if (!window.confirm(`${label[a]} "${e.name}"?${a === 'complete' ? ' Completing is final: conversions after now are not counted.' : ''}`)) return;
          try {
            await api.transition(e.key, a);
            reload();
          } catch (err) {
            msg.textContent = err instanceof Error ? err.message : String(err);
          }
        },
      }, label[a]),
    ),
    msg,
  );
}

/** What the intervals of a table are (the API's `intervalType`). */
const intervalNote = (t: IntervalType | undefined) =>
  t === 'sequential' ? 'Intervals: always-valid confidence sequences (sequential analysis), safe to read at every look.' : t === 'fixed' ? 'Intervals: fixed-horizon, valid when read once (at the planned sample size or once completed).' : null;

export interface PageOptions {
  /** Warnings the marketer has checked, passed to the decision (`suspicious_lift`). */
  acknowledge?: readonly string[];
}

export async function experimentPage(key: string, reload: () => void, options: PageOptions = {}): Promise<HTMLElement> {
  const e = await api.experiment(key);
  const started = e.status !== 'draft';
  const acknowledge = options.acknowledge ?? [];
  const [results, decision, daily] = started ? await Promise.all([api.results(key), api.decision(key, acknowledge), api.daily(key)]) : [null, null, null];
  // The metric decided on (the primary one), whose for-whom blocks and power the page shows.
  const primary = results?.metrics.find((m) => m.key === decision?.metric) ?? results?.metrics.find((m) => m.role === 'primary') ?? results?.metrics[0];
  const variant = decision?.segments?.variant ?? decision?.variant ?? (decision ? headlineComparison(decision)?.variant : undefined);
  return h(
    'div',
    { class: 'experiment', 'data-key': e.key },
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Experiments'), ' / ', e.key),
    h('h1', {}, e.name, ' ', h('span', { class: `status status-${e.status}` }, e.status)),
    h('p', { class: 'muted' }, `Tactic: `, h('a', { href: `#/tactics/${encodeURIComponent(e.tactic)}` }, e.tactic), e.hypothesis ? ` · ${e.hypothesis}` : ''),
    lifecycle(e, reload),
    decision
      ? h(
          'section',
          { class: `card verdict-card verdict-${decision.decision}`, 'aria-labelledby': 'verdict-title' },
          h('h2', { id: 'verdict-title', class: 'visually-hidden' }, 'Verdict'),
          h('p', { class: 'headline' }, badge(decision.decision), ' ', h('span', { id: 'headline' }, headline(e, decision))),
          h('ul', { class: 'reasons' }, decision.reasons.map((r) => h('li', {}, r))),
          pairsList(e, decision.pairs),
          h('p', { class: 'muted' }, `Running ${days(decision.daysRunning)} days · ${count(decision.srm.observed.reduce((a, o) => a + o.units, 0))} units · ${decision.analysis} analysis, α = ${decision.alpha}`),
        )
      : h('section', { class: 'card' }, h('p', {}, 'A draft: no results until it starts.')),
    results ? banners(e, results, decision, acknowledge.includes('suspicious_lift')) : null,
    primary ? h('section', { class: 'card' }, h('h2', {}, 'Power'), powerProgress(primary)) : null,
    results
      ? h(
          'section',
          { class: 'card', 'aria-labelledby': 'metrics-title' },
          h('h2', { id: 'metrics-title' }, 'Results per metric'),
          results.metrics.map((m) => h('div', { class: 'metric' }, tableWrap(`Results of ${m.name || m.key}`, metricTable(e, m)), h('p', { class: 'muted small' }, intervalNote(m.overall.comparisons[0]?.intervalType)))),
          await csvButton('results', `${e.key}-results.csv`, () => api.csv(`/v1/experiments/${encodeURIComponent(e.key)}/results`)),
        )
      : null,
    primary ? forWhomSection(e, primary, variant ?? undefined, decision?.segments ?? null) : null,
    daily ? overTimeSection(e, daily, variant ?? undefined) : null,
    results && primary?.factors?.length
      ? h(
          'section',
          { class: 'card', 'aria-labelledby': 'factorial-title' },
          h('h2', { id: 'factorial-title' }, `Main effects and interactions: ${primary.name || primary.key}`),
          h('p', { class: 'muted' }, 'Differences in the metric (absolute), each factor level against its first level, averaged over the other factors; p-values Holm-adjusted across every effect.'),
          effectsTable('Main effects', primary.factors, results.alpha),
          primary.interactions?.length ? effectsTable('Two-way interactions', primary.interactions, results.alpha) : null,
        )
      : null,
  );
}

/** CSV of a table built in the page (the experiments list), for the rows shown. */
export function csvOfRows(name: string, rows: (string | number | null | undefined)[][]): void {
  download(name, new Blob([toCsv(rows)], { type: 'text/csv' }));
}
