/**
 * One comparison of a treatment arm against the control arm for one metric: absolute effect
 * with test and interval, relative lift with Fieller's interval at the same critical value,
 * and the Bayesian chance to beat control and expected losses.
 *
 *  - binary metrics  → unpooled difference of proportions, z test (proportions.ts),
 *                      exact Beta posteriors (bayes.ts);
 *  - means per unit  → Welch t test under fixed analysis, z statistic under sequential
 *                      (welch.ts), normal posterior;
 *  - ratio metrics   → delta-method difference, z test (ratio.ts), normal posterior.
 * Fixed analysis: critical value z_{1−α/2} or t_{1−α/2, df}. Sequential analysis: the
 * confidence-sequence critical value at N = n_C + n_T (sequential.ts).
 *
 * Options choose the binary interval (`binaryInterval`: 'wald' or Newcombe's score interval,
 * newcombe.ts) and the relative interval (`relativeInterval`: Fieller's or the log-scale one,
 * loglift.ts); every interval of a comparison uses the same critical value.
 *
 * Degenerate input (see types.ts) yields null fields plus `reason`; the rule of how much data
 * is enough to show or act on a result is the caller's.
 */
import {
  binaryChanceToBeatControl,
  binaryExpectedLoss,
  normalChanceToBeatControl,
  normalExpectedLoss,
  type ExpectedLoss,
} from './bayes';
import { normalTwoSidedP } from './distributions';
import { fiellerLift, relativeLiftEstimate } from './fieller';
import { fixedCriticalValue, fixedHorizonTest } from './fixed';
import { binaryLogLift, meanLogLift, type LogScaleLift } from './loglift';
import { newcombeDifference, newcombeStatistic } from './newcombe';
import { proportionEstimate } from './proportions';
import { ratioEstimate } from './ratio';
import { DEFAULT_SEQUENTIAL_TUNING, sequentialCriticalValue, sequentialPValue, sequentialTest } from './sequential';
import type { ArmEstimate, BinaryArm, CompareOptions, Comparison, Interval, MeanArm, RatioArm, TestResult } from './types';
import { assertBinaryArm, assertMeanArm, assertOptions, assertRatioArm } from './validate';
import { meanEstimate, welchDf } from './welch';

interface ArmInput extends ArmEstimate {
  reason?: string;
}

type Bayes = (diff: number, se: number) => { chance: number; loss: ExpectedLoss };

interface Methods {
  bayes: Bayes;
  /** A score test replacing the Wald one: its signed statistic and its interval at critical value c. */
  score?: () => { statistic: number; ci: (c: number) => Interval | null };
  /** The log-scale relative lift at critical value c (arms with mean and SE defined). */
  logLift: (c: number, control: { mean: number; se: number }, treatment: { mean: number; se: number }) => LogScaleLift;
}

const MIN_UNITS = 2;

/** A comparison whose figures cannot be computed: every statistic null, with the reason (the means kept when known). */
export function unavailableComparison(c: ArmInput, t: ArmInput, reason: string): Comparison {
  const estimate = c.mean !== null && t.mean !== null ? t.mean - c.mean : null;
  const rel = c.mean !== null && t.mean !== null ? relativeLiftEstimate(c.mean, t.mean) : { estimate: null };
  return {
    control: { units: c.units, mean: c.mean, se: c.se },
    treatment: { units: t.units, mean: t.mean, se: t.se },
    absolute: { estimate, se: null, ci: null },
    relative: { estimate: rel.estimate, ci: null, reason },
    pValue: null,
    statistic: null,
    df: null,
    criticalValue: null,
    chanceToBeatControl: null,
    expectedLoss: null,
    reason,
  };
}

function buildComparison(c: ArmInput, t: ArmInput, useWelchDf: boolean, opts: CompareOptions, methods: Methods): Comparison {
  assertOptions(opts);
  if (c.units < MIN_UNITS || t.units < MIN_UNITS) {
    return unavailableComparison(c, t, `each arm needs at least ${MIN_UNITS} units (control ${c.units}, treatment ${t.units})`);
  }
  if (c.mean === null || t.mean === null || c.se === null || t.se === null) {
    const which = c.mean === null || c.se === null ? `control: ${c.reason ?? 'undefined'}` : `treatment: ${t.reason ?? 'undefined'}`;
    return unavailableComparison(c, t, which);
  }
  const estimate = t.mean - c.mean;
  const se = Math.hypot(t.se, c.se);
  let test: TestResult;
  const n = c.units + t.units;
  const tuning = opts.plannedSampleSize ?? DEFAULT_SEQUENTIAL_TUNING;
  if (methods.score) {
    const score = methods.score();
    const sequential = opts.analysis === 'sequential';
    const criticalValue = sequential ? sequentialCriticalValue(n, opts.alpha, tuning) : fixedCriticalValue(opts.alpha);
    const pValue = sequential ? sequentialPValue(score.statistic, n, opts.alpha, tuning) : normalTwoSidedP(score.statistic);
    test = { statistic: score.statistic, pValue, df: null, criticalValue, ci: score.ci(criticalValue) };
  } else if (opts.analysis === 'sequential') {
    test = sequentialTest(estimate, se, n, opts.alpha, tuning);
  } else {
    const df = useWelchDf ? welchDf(t.se * t.se, t.units, c.se * c.se, c.units) : null;
    test = fixedHorizonTest(estimate, se, df, opts.alpha);
  }
  let relative: Comparison['relative'];
  if (test.ci === null) relative = { ...relativeLiftEstimate(c.mean, t.mean), ci: null, reason: test.reason };
  // The log scale needs a metric that cannot be negative; revenue with refunds can be: a
  // negative mean takes Fieller's interval, which has no [−100 %, ∞) bound to keep.
  else if (opts.relativeInterval === 'log' && c.mean >= 0 && t.mean >= 0) relative = logRelative(c.mean, t.mean, methods.logLift(test.criticalValue, { mean: c.mean, se: c.se }, { mean: t.mean, se: t.se }));
  else relative = fiellerLift(c.mean, c.se * c.se, t.mean, t.se * t.se, test.criticalValue);
  // Zero standard error with different values (types.ts): the test is undefined, and so is
  // every probability statement built on the same (absent) noise.
  const undefinedTest = test.reason !== undefined;
  const bayesian = undefinedTest ? null : methods.bayes(estimate, se);
  const result: Comparison = {
    control: { units: c.units, mean: c.mean, se: c.se },
    treatment: { units: t.units, mean: t.mean, se: t.se },
    absolute: { estimate, se, ci: test.ci },
    relative,
    pValue: test.pValue,
    statistic: test.statistic,
    df: test.df,
    criticalValue: test.criticalValue,
    chanceToBeatControl: bayesian === null ? null : bayesian.chance,
    expectedLoss: bayesian === null ? null : bayesian.loss,
  };
  if (test.reason !== undefined) result.reason = test.reason;
  return withinDoublePrecision(result);
}

const OVERFLOW = 'a figure overflows double precision (the sums are too far apart in size)';

/** Keeps finite figures; counts what it had to drop. */
function finiteFigures() {
  const g = {
    lost: false,
    num: (v: number | null) => (v === null || Number.isFinite(v) ? v : ((g.lost = true), null)),
    ci: (i: Interval | null) => (i === null || (Number.isFinite(i[0]) && Number.isFinite(i[1])) ? i : ((g.lost = true), null)),
  };
  return g;
}

/**
 * Sums far apart in size (a mean of 1e9 against a standard error of 1e-160) can push a figure
 * past double precision. Such a figure is null, never NaN or ±Infinity, and a reason says so
 * (the comparison's for the absolute part, the relative lift's for the lift).
 */
function withinDoublePrecision(r: Comparison): Comparison {
  const abs = finiteFigures();
  const rel = finiteFigures();
  let loss = r.expectedLoss;
  if (loss && ![loss.treatment, loss.control].every(Number.isFinite)) [abs.lost, loss] = [true, null];
  const out: Comparison = {
    control: { units: r.control.units, mean: abs.num(r.control.mean), se: abs.num(r.control.se) },
    treatment: { units: r.treatment.units, mean: abs.num(r.treatment.mean), se: abs.num(r.treatment.se) },
    absolute: { estimate: abs.num(r.absolute.estimate), se: abs.num(r.absolute.se), ci: abs.ci(r.absolute.ci) },
    relative: { ...r.relative, estimate: rel.num(r.relative.estimate), ci: rel.ci(r.relative.ci) },
    pValue: abs.num(r.pValue),
    statistic: abs.num(r.statistic),
    df: abs.num(r.df),
    criticalValue: abs.num(r.criticalValue),
    chanceToBeatControl: abs.num(r.chanceToBeatControl),
    expectedLoss: loss,
    ...(r.reason || abs.lost ? { reason: r.reason ?? OVERFLOW } : {}),
  };
  if (!abs.lost && !rel.lost) return r;
  out.relative.reason = out.relative.reason ?? OVERFLOW;
  return out;
}

/**
 * The relative block from a log-scale lift: the plain lift (m_T − m_C)/m_C as the estimate,
 * unless ½ was added to zero cells, where the estimate is the interval's centre e^y − 1.
 */
function logRelative(meanC: number, meanT: number, l: LogScaleLift): Comparison['relative'] {
  const point = l.corrected ? { estimate: l.estimate } : relativeLiftEstimate(meanC, meanT);
  const reason = l.reason ?? point.reason;
  return { estimate: point.estimate, ci: l.ci, ...(l.corrected ? { corrected: true } : {}), ...(reason ? { reason } : {}) };
}

/** Means and ratios: normal posterior; log-scale lift from each arm's mean and SE. */
const meanMethods: Methods = {
  bayes: (diff, se) => ({ chance: normalChanceToBeatControl(diff, se), loss: normalExpectedLoss(diff, se) }),
  logLift: (c, control, treatment) => meanLogLift(control, treatment, c),
};

/**
 * Binary metric (conversion rate). Absolute: p_T − p_C with the unpooled SE, z test; or, with
 * `binaryInterval: 'newcombe'`, Newcombe's hybrid score interval and the test that inverts it
 * (`statistic` is then the critical value at which the interval touches 0, `absolute.se` still
 * the unpooled SE). Bayesian: exact Beta(1 + x, 1 + n − x) posteriors.
 */
export function compareBinary(control: BinaryArm, treatment: BinaryArm, opts: CompareOptions): Comparison {
  assertBinaryArm(control, 'control');
  assertBinaryArm(treatment, 'treatment');
  const arm = (a: BinaryArm): ArmInput => {
    const e = proportionEstimate(a);
    return { units: a.units, mean: e.rate, se: e.se, reason: e.rate === null ? 'no units' : undefined };
  };
  const bayes: Bayes = () => ({
    chance: binaryChanceToBeatControl(control, treatment),
    loss: binaryExpectedLoss(control, treatment),
  });
  const score =
    opts.binaryInterval === 'newcombe'
      ? () => ({ statistic: newcombeStatistic(control, treatment) as number, ci: (c: number) => newcombeDifference(control, treatment, c).ci })
      : undefined;
  const logLift = (c: number) => binaryLogLift(control, treatment, c);
  return buildComparison(arm(control), arm(treatment), false, opts, { bayes, score, logLift });
}

/**
 * Mean per unit (count or revenue metric) from {units, sum, sumSquares}. Fixed analysis:
 * Welch t test with Welch–Satterthwaite df (as R's t.test). Sequential: z statistic.
 */
export function compareMeans(control: MeanArm, treatment: MeanArm, opts: CompareOptions): Comparison {
  assertMeanArm(control, 'control');
  assertMeanArm(treatment, 'treatment');
  const arm = (a: MeanArm): ArmInput => {
    const e = meanEstimate(a);
    return { units: a.units, mean: e.mean, se: e.se, reason: a.units === 0 ? 'no units' : undefined };
  };
  return buildComparison(arm(control), arm(treatment), true, opts, meanMethods);
}

/** Ratio metric Σnum/Σden with delta-method standard errors and a z test. */
export function compareRatio(control: RatioArm, treatment: RatioArm, opts: CompareOptions): Comparison {
  assertRatioArm(control, 'control');
  assertRatioArm(treatment, 'treatment');
  const arm = (a: RatioArm): ArmInput => {
    const e = ratioEstimate(a);
    return { units: a.units, mean: e.ratio, se: e.se, reason: e.reason };
  };
  return buildComparison(arm(control), arm(treatment), false, opts, meanMethods);
}

/**
 * The critical value a comparison with these options would use (z_{1−α/2} for fixed z tests,
 * the sequential critical value at N = totalUnits otherwise). Handy for UIs that draw bounds.
 */
export function comparisonCriticalValue(opts: CompareOptions, totalUnits: number, df: number | null = null): number {
  assertOptions(opts);
  if (opts.analysis === 'sequential') {
    return sequentialCriticalValue(totalUnits, opts.alpha, opts.plannedSampleSize ?? DEFAULT_SEQUENTIAL_TUNING);
  }
  return fixedCriticalValue(opts.alpha, df);
}
