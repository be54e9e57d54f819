import { api, session, type Arm, type Comparison, type DailyResults, type Decision, type Experiment, type FactorEffect, type MetricResults, type Results } from './api';
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

/**
 * The segment values a segment-aware decision ships to, when the API gives them (issue 16's
 * `segments` on the decision; read loosely, so an older server simply has none).
 */
export function shipTargets(decision: Decision): string[] {
  const seg = (decision as unknown as { segments?: unknown }).segments;
  const out: string[] = [];
  const visit = (x: unknown) => {
    if (!x || typeof x !== 'object') return;
    const o = x as Record<string, unknown>;
    const list = o.shipTo ?? o.ship_to;
    if (Array.isArray(list)) {
      for (const v of list) {
        if (typeof v === 'string') out.push(o.attribute ? `${String(o.attribute)} = ${v}` : v);
        else if (v && typeof v === 'object') {
          const r = v as Record<string, unknown>;
          out.push(r.attribute ? `${String(r.attribute)} = ${String(r.value)}` : String(r.value ?? ''));
        }
      }
    }
    if (Array.isArray(x)) x.forEach(visit);
  };
  if (Array.isArray(seg)) seg.forEach(visit);
  else visit(seg);
  return out;
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
  const phrase = DECISION_TEXT[decision.decision];
  const targets = shipTargets(decision);
  const action = decision.decision === 'ship' && targets.length ? `${phrase} to ${targets.join(', ')}` : phrase;
  if (!c || c.relative.estimate === null) return `${e.name}: no lift on ${metric} yet; ${action}.`;
  const r = c.relative.estimate;
  const verb = r > 0 ? 'raises' : r < 0 ? 'lowers' : 'does not change';
  const by = r === 0 ? '' : ` by ${percent(Math.abs(r))}`;
  const ci = c.relative.ci ? ` (${level(decision.alpha)} CI ${interval(c.relative.ci)})` : '';
  return `${nameOfVariant(e, c.variant)} ${verb} ${metric}${by}${ci}; ${action}.`;
}

function banners(results: Results, primary: MetricResults | undefined): HTMLElement[] {
  const out: HTMLElement[] = [];
  const banner = (kind: string, title: string, text: string) => h('div', { class: `banner banner-${kind}`, role: 'status' }, h('strong', {}, title), ' ', text);
  if (results.srm.mismatch) {
    out.push(banner('danger', 'Sample ratio mismatch.', `The split of units between variants is not what the weights say (p = ${pValue(results.srm.pValue)}): an assignment or tracking bug. Do not trust these results.`));
  }
  const comps = primary?.overall.comparisons ?? [];
  if (comps.length && comps.some((c) => !c.enoughData)) {
    out.push(banner('warn', 'Not enough data.', `${results.minimumData.rule} No p-value is shown until then.`));
  }
  const warnings = new Set(comps.flatMap((c) => c.warnings));
  for (const w of warnings) {
    out.push(banner(/suspicious/i.test(w) ? 'danger' : 'warn', /suspicious/i.test(w) ? 'Suspicious lift.' : 'Warning.', w));
  }
  return out;
}

function powerProgress(m: MetricResults): HTMLElement | null {
  const p = m.power;
  if (p.unitsPerArm === null || p.unitsPerArm === 0) return h('p', { class: 'muted' }, `Power: ${p.reason ?? 'not computable yet.'}`);
  const share = Math.min(1, p.currentUnitsPerArm / p.unitsPerArm);
  const text = `${percent(share, 0)} of the sample needed to detect a ${percent(p.mde, 0)} lift (${count(p.currentUnitsPerArm)} of ${count(p.unitsPerArm)} units per arm)`;
  return h('div', { class: 'power' }, h('label', { for: 'power-progress' }, text), h('progress', { id: 'power-progress', max: 100, value: Math.round(share * 100) }, percent(share, 0)));
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

/** Issue 16's `forWhom` on a metric's results, read loosely: per attribute, a verdict and raw and shrunk lifts per value. */
interface ForWhomAttribute {
  attribute: string;
  verdict: string | null;
  rows: ForestRow[];
}

function forWhomOf(m: MetricResults, variant: string | undefined): ForWhomAttribute[] | null {
  const raw = (m as unknown as { forWhom?: unknown }).forWhom;
  if (!raw || typeof raw !== 'object') return null;
  const list: unknown[] = Array.isArray(raw) ? raw : Array.isArray((raw as { attributes?: unknown }).attributes) ? ((raw as { attributes: unknown[] }).attributes) : [];
  const est = (x: unknown): { estimate: number | null; ci: readonly number[] | null } => {
    const o = (x ?? {}) as Record<string, unknown>;
    const inner = (o.relative ?? o) as Record<string, unknown>;
    return { estimate: typeof inner.estimate === 'number' ? inner.estimate : typeof inner.lift === 'number' ? inner.lift : null, ci: Array.isArray(inner.ci) ? (inner.ci as number[]) : null };
  };
  const out: ForWhomAttribute[] = [];
  for (const a of list) {
    const o = a as Record<string, unknown>;
    if (typeof o.attribute !== 'string') continue;
    if (variant && typeof o.variant === 'string' && o.variant !== variant) continue;
    const values = (o.values ?? o.rows ?? o.segments) as unknown[] | undefined;
    const verdict = [o.verdict, o.summary, o.sentence, o.text].find((t) => typeof t === 'string') as string | undefined;
    out.push({
      attribute: o.attribute,
      verdict: verdict ?? null,
      rows: (values ?? []).map((v) => {
        const r = v as Record<string, unknown>;
        return { label: r.value === null ? '(not sent)' : String(r.value), ...est(r.raw ?? r), shrunk: r.shrunk ? est(r.shrunk) : undefined };
      }),
    });
  }
  return out.length ? out : null;
}

/** Without `forWhom`: the raw per-value lifts from the segment blocks. */
function forWhomFromSegments(m: MetricResults, variant: string | undefined): ForWhomAttribute[] {
  const byAttribute = new Map<string, ForestRow[]>();
  for (const block of m.segments) {
    const c = block.comparisons.find((x) => x.variant === variant) ?? block.comparisons[0];
    const rows = byAttribute.get(block.attribute ?? '') ?? [];
    rows.push({ label: block.value === null ? '(not sent)' : block.value ?? '', estimate: c?.relative.estimate ?? null, ci: c?.relative.ci ?? null });
    byAttribute.set(block.attribute ?? '', rows);
  }
  return [...byAttribute].map(([attribute, rows]) => {
    const known = rows.filter((r) => r.estimate !== null).sort((a, b) => (b.estimate ?? 0) - (a.estimate ?? 0));
    const verdict = known.length >= 2 ? `Largest lift: ${known[0].label} ${lift(known[0].estimate)}; smallest: ${known[known.length - 1].label} ${lift(known[known.length - 1].estimate)} (raw per-segment estimates; no heterogeneity test from this server).` : null;
    return { attribute, verdict, rows };
  });
}

function forWhomSection(e: Experiment, m: MetricResults, variant: string | undefined): HTMLElement | null {
  if (!m.segments.length && !(m as unknown as { forWhom?: unknown }).forWhom) return null;
  const attributes = forWhomOf(m, variant) ?? forWhomFromSegments(m, variant);
  return h(
    'section',
    { class: 'card', id: 'for-whom', 'aria-labelledby': 'for-whom-title' },
    h('h2', { id: 'for-whom-title' }, term('For whom', 'for whom'), `: ${m.name || m.key}, ${nameOfVariant(e, variant)} vs control`),
    attributes.map((a) =>
      h(
        'div',
        { class: 'for-whom-attribute', 'data-attribute': a.attribute },
        h('h3', {}, a.attribute),
        a.verdict ? h('p', { class: 'verdict' }, a.verdict) : null,
        forestPlot(a.rows, `Lift by ${a.attribute}`),
        tableWrap(
          `Lift by ${a.attribute}`,
          h(
            'table',
            { class: 'compact' },
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, a.attribute), h('th', { scope: 'col', class: 'num' }, 'Lift'), h('th', { scope: 'col', class: 'num' }, `${level(e.alpha)} CI`), a.rows.some((r) => r.shrunk) ? [h('th', { scope: 'col', class: 'num' }, 'Shrunk lift'), h('th', { scope: 'col', class: 'num' }, 'Shrunk CI')] : null)),
            h('tbody', {}, a.rows.map((r) => h('tr', { 'data-value': r.label }, h('th', { scope: 'row' }, r.label), h('td', { class: 'num', 'data-col': 'lift' }, lift(r.estimate)), h('td', { class: 'num', 'data-col': 'ci' }, interval(r.ci)), r.shrunk ? [h('td', { class: 'num' }, lift(r.shrunk.estimate)), h('td', { class: 'num' }, interval(r.shrunk.ci))] : null))),
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
  return h(
    'div',
    {},
    h('h3', {}, title),
    tableWrap(
      title,
      h(
        'table',
        { class: 'compact' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Effect'), h('th', { scope: 'col', class: 'num' }, 'Estimate'), h('th', { scope: 'col', class: 'num' }, `${level(alpha)} CI`), h('th', { scope: 'col', class: 'num' }, 'p-value'))),
        h('tbody', {}, effects.map((f) => h('tr', {}, h('th', { scope: 'row' }, f.factors.map((x, i) => `${x} = ${f.levels[i]} vs ${f.baselines[i]}`).join(' × ')), h('td', { class: 'num', title: f.reason ?? null }, f.estimate === null ? '—' : f.estimate.toFixed(4)), h('td', { class: 'num' }, f.ci ? `${f.ci[0].toFixed(4)} to ${f.ci[1].toFixed(4)}` : '—'), h('td', { class: 'num' }, pValue(f.pValue))))),
      ),
    ),
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

export async function experimentPage(key: string, reload: () => void): Promise<HTMLElement> {
  const e = await api.experiment(key);
  const started = e.status !== 'draft';
  const [results, decision, daily] = started ? await Promise.all([api.results(key), api.decision(key), api.daily(key)]) : [null, null, null];
  const primary = results?.metrics.find((m) => m.role === 'primary') ?? results?.metrics[0];
  const variant = decision?.variant ?? (decision ? headlineComparison(decision)?.variant : undefined);
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
          h('p', { class: 'muted' }, `Running ${days(decision.daysRunning)} days · ${count(decision.srm.observed.reduce((a, o) => a + o.units, 0))} units · ${decision.analysis} analysis, α = ${decision.alpha}`),
        )
      : h('section', { class: 'card' }, h('p', {}, 'A draft: no results until it starts.')),
    results ? banners(results, primary) : null,
    primary ? h('section', { class: 'card' }, h('h2', {}, 'Power'), powerProgress(primary)) : null,
    results
      ? h(
          'section',
          { class: 'card', 'aria-labelledby': 'metrics-title' },
          h('h2', { id: 'metrics-title' }, 'Results per metric'),
          results.metrics.map((m) => h('div', { class: 'metric' }, tableWrap(`Results of ${m.name || m.key}`, metricTable(e, m)))),
          await csvButton('results', `${e.key}-results.csv`, () => api.csv(`/v1/experiments/${encodeURIComponent(e.key)}/results`)),
        )
      : null,
    primary ? forWhomSection(e, primary, variant ?? undefined) : null,
    daily ? overTimeSection(e, daily, variant ?? undefined) : null,
    results && primary?.factors?.length
      ? h(
          'section',
          { class: 'card', 'aria-labelledby': 'factorial-title' },
          h('h2', { id: 'factorial-title' }, `Main effects and interactions: ${primary.name || primary.key}`),
          h('p', { class: 'muted' }, 'Differences in the metric (absolute), each factor level against its first level, averaged over the other factors.'),
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
