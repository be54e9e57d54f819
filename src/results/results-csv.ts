import type { Results } from './compute';
import type { Scorecard } from './scorecard';

/**
 * CSV exports (RFC 4180) of results and scorecards, for spreadsheets. Numbers keep full
 * precision; empty cells are nulls. Text that a spreadsheet would run as a formula (a
 * segment value like "=HYPERLINK(...)" sent by a storefront) is prefixed with an apostrophe.
 */
type Cell = string | number | boolean | null | undefined;

function cell(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const text = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function table(header: string[], rows: Cell[][]): string {
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

const RESULT_COLUMNS = [
  'row', 'experiment', 'metric', 'metric_type', 'direction', 'role', 'segment_attribute', 'segment_value', 'variant', 'is_control',
  'units', 'converters', 'rate', 'mean', 'sum', 'numerator', 'denominator', 'value', 'se',
  'absolute_estimate', 'absolute_se', 'absolute_ci_low', 'absolute_ci_high', 'relative_estimate', 'relative_ci_low', 'relative_ci_high',
  'p_value', 'p_value_adjusted', 'significant', 'better', 'chance_to_beat_control', 'expected_loss_treatment', 'expected_loss_control',
  'statistic', 'df', 'critical_value', 'enough_data', 'srm_p_value', 'srm_mismatch', 'srm_chi_square', 'srm_threshold',
  'analysis', 'alpha', 'planned_sample_size', 'min_units_per_arm', 'min_converters', 'holdout_units',
  'power_mde', 'power', 'power_units_per_arm', 'power_current_units_per_arm', 'power_more_units_per_arm',
  'effect_factors', 'effect_levels', 'effect_baselines', 'warnings',
  'interval_type', 'pair_planned_sample_size', 'relative_corrected',
  'for_whom_rank', 'shrunk_estimate', 'shrunk_ci_low', 'shrunk_ci_high', 'own_weight',
  'heterogeneity_q', 'heterogeneity_df', 'heterogeneity_p_value', 'heterogeneity_p_value_adjusted', 'heterogeneity_significant', 'i2', 'tau2',
  'for_whom_summary',
];

/** The columns after RESULT_COLUMNS' first 59 (through relative_corrected), empty on every row but `for_whom`. */
const NO_FOR_WHOM: Cell[] = [null, null, null, null, null, null, null, null, null, null, null, null, null];

type Effect = NonNullable<Results['metrics'][number]['factors']>[number];
type ForWhom = Results['metrics'][number]['forWhom'][number];

/**
 * Rows of three kinds, marked in `row`: `variant` (one per metric x segment value, overall
 * first, x variant, with its comparison against the control) and, for multivariate
 * experiments, `main_effect` and `interaction` (the effect in the absolute columns), and
 * `for_whom` (one per metric x segment attribute x treatment x value, in the rank order of the
 * JSON's forWhom: the raw lift in the relative columns, the shrunk lift beside it, and the
 * attribute's heterogeneity repeated on each of its values). Every
 * number of the JSON is in a column; experiment- and metric-level numbers repeat on each row.
 */
export function resultsCsv(r: Results): string {
  const rows: Cell[][] = [];
  const experimentCells = (m: Results['metrics'][number]): Cell[] => [
    r.analysis, r.alpha, r.plannedSampleSize, r.minimumData.unitsPerArm, r.minimumData.converters, r.holdout?.units,
    m.power.mde, m.power.power, m.power.unitsPerArm, m.power.currentUnitsPerArm, m.power.moreUnitsPerArm,
  ];
  for (const m of r.metrics) {
    const control = m.overall.comparisons[0]?.control ?? null;
    for (const block of [m.overall, ...m.segments]) {
      for (const v of block.variants) {
        const c = block.comparisons.find((x) => x.variant === v.variant);
        rows.push([
          'variant', r.experiment, m.key, m.type, m.direction, m.role, block.attribute ?? null, block.attribute ? block.value : null, v.variant, control === null ? null : v.variant === control,
          v.units, v.converters, v.rate, v.mean, v.sum, v.numerator, v.denominator, v.value, v.se,
          c?.absolute.estimate, c?.absolute.se, c?.absolute.ci?.[0], c?.absolute.ci?.[1], c?.relative.estimate, c?.relative.ci?.[0], c?.relative.ci?.[1],
          c?.pValue, c?.pValueAdjusted, c?.significant, c?.better, c?.chanceToBeatControl, c?.expectedLoss?.treatment, c?.expectedLoss?.control,
          c?.statistic, c?.df, c?.criticalValue, c?.enoughData, block.srm?.pValue, block.srm?.mismatch, block.srm?.chiSquare, block.srm?.threshold,
          ...experimentCells(m), null, null, null, c?.warnings.join(' | '),
          c?.intervalType, c?.plannedSampleSize, c ? c.relative.corrected === true : null,
          ...NO_FOR_WHOM,
        ]);
      }
    }
    const effectRow = (kind: string, e: Effect): Cell[] => [
      kind, r.experiment, m.key, m.type, m.direction, m.role, null, null, null, null,
      null, null, null, null, null, null, null, null, null,
      e.estimate, e.se, e.ci?.[0], e.ci?.[1], null, null, null,
      e.pValue, null, null, null, null, null, null,
      e.statistic, null, null, null, null, null, null, null,
      ...experimentCells(m), e.factors.join(' x '), e.levels.join(' x '), e.baselines.join(' x '), e.reason,
      e.intervalType, null, null,
      ...NO_FOR_WHOM,
    ];
    const forWhomRows = (f: ForWhom): Cell[][] =>
      f.values.map((v, i) => [
        'for_whom', r.experiment, m.key, m.type, m.direction, m.role, f.attribute, v.value, f.variant, false,
        v.units, null, null, null, null, null, null, null, null,
        null, null, null, null, v.lift?.estimate, v.lift?.ci[0], v.lift?.ci[1],
        null, null, v.significant, v.better, null, null, null,
        null, null, f.criticalValue, v.enoughData, null, null, null, null,
        ...experimentCells(m), null, null, null, v.reason,
        null, null, null,
        i + 1, v.shrunk?.estimate, v.shrunk?.ci[0], v.shrunk?.ci[1], v.ownWeight,
        f.q, f.df, f.pValue, f.pValueAdjusted, f.significant, f.i2, f.tau2,
        f.summary,
      ]);
    for (const e of m.factors ?? []) rows.push(effectRow('main_effect', e));
    for (const e of m.interactions ?? []) rows.push(effectRow('interaction', e));
    for (const f of m.forWhom) rows.push(...forWhomRows(f));
  }
  return table(RESULT_COLUMNS, rows);
}

/**
 * The scorecard as two kinds of rows, marked in `row`: `rate` rows (per metric, overall and
 * per segment value: wins, losses, inconclusive, win rate, and the pooled lifts with their
 * interval type and whether they are provisional) and `experiment` rows (each experiment's
 * decision and lift, its interval type, and whether it is in the pool). `include` and
 * `min_days` (the scorecard's parameters) repeat on every row.
 */
export function scorecardCsv(s: Scorecard): string {
  const header = [
    'tactic', 'metric', 'row', 'segment_attribute', 'segment_value', 'experiment', 'status', 'decision', 'outcome', 'counted', 'variant', 'lift', 'lift_ci_low', 'lift_ci_high',
    'wins', 'losses', 'inconclusive', 'win_rate', 'experiments', 'pooled_fixed_lift', 'pooled_fixed_ci_low', 'pooled_fixed_ci_high',
    'pooled_random_lift', 'pooled_random_ci_low', 'pooled_random_ci_high', 'q', 'tau2', 'i2',
    'interval_type', 'pooled_experiments', 'pooled_running', 'provisional', 'in_pool', 'pooled_fixed_p_value', 'pooled_random_p_value', 'include', 'min_days',
  ];
  type Pooled = Scorecard['metrics'][number]['pooled'];
  const pooledCells = (p: Pooled): Cell[] => [p?.fixed.lift, p?.fixed.ci[0], p?.fixed.ci[1], p?.random.lift, p?.random.ci[0], p?.random.ci[1], p?.q, p?.tau2, p?.i2];
  const poolMarks = (p: Pooled): Cell[] => [p?.intervalType, p?.experiments ?? 0, p ? (p.running ?? 0) : null, p?.provisional, null, p?.fixed.pValue, p?.random.pValue];
  const rows: Cell[][] = [];
  for (const m of s.metrics) {
    const p = m.pooled;
    rows.push([
      s.tactic, m.metric, 'rate', null, null, null, null, null, null, null, null, null, null, null,
      m.winRate.wins, m.winRate.losses, m.winRate.inconclusive, m.winRate.rate, m.experiments.length, ...pooledCells(p), ...poolMarks(p), s.include, s.minDays,
    ]);
    for (const seg of m.segments) {
      rows.push([
        s.tactic, m.metric, 'rate', seg.attribute, seg.value, null, null, null, null, null, null, null, null, null,
        seg.wins, seg.losses, seg.inconclusive, seg.rate, seg.experiments, ...pooledCells(seg.pooled), ...poolMarks(seg.pooled), s.include, s.minDays,
      ]);
    }
    for (const e of m.experiments) {
      rows.push([
        s.tactic, m.metric, 'experiment', null, null, e.key, e.status, e.decision, e.outcome, e.counted, e.variant, e.lift, e.ci?.[0], e.ci?.[1],
        null, null, null, null, null, null, null, null, null, null, null, null, null, null,
        e.intervalType, null, null, null, e.inPool, null, null, s.include, s.minDays,
      ]);
    }
  }
  return table(header, rows);
}
