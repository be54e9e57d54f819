import type { ExperimentCreate } from '../../src/model/experiment';
import { computeResults } from '../../src/results/compute';
import type { Counts } from '../../src/results/counts';
import { decide } from '../../src/results/decision';
import { scorecard, type ScoredExperiment } from '../../src/results/scorecard';
import { after, arm, binary, counts, experiment, twoArms, type Lifecycle } from './literal';

/**
 * The tactic scorecard on literal counts: outcomes and win rates overall and per segment
 * value, and the pooled lift (worked by hand from each experiment's rates: the delta-method
 * log ratio and the inverse-variance and DerSimonian-Laird pools).
 */
const NOW = after(10);
const z975 = 1.959963984540054; // scipy.stats.norm.ppf(0.975)

function scored(key: string, c: Counts, lifecycle: Lifecycle = {}, overrides: Partial<ExperimentCreate> = {}): ScoredExperiment {
  const e = experiment({ key, segments: c.segments.length ? ['lifecycle'] : [], ...overrides }, lifecycle);
  const results = computeResults(e, c);
  return { experiment: e, results, decision: decide(e, results, { now: NOW }) };
}

const segments = (returning: [[number, number], [number, number]], fresh: [[number, number], [number, number]]): Counts['segments'] => [
  { attribute: 'lifecycle', value: 'new', variants: twoArms(...fresh) },
  { attribute: 'lifecycle', value: 'returning', variants: twoArms(...returning) },
];
const completed: Lifecycle = { status: 'completed', completedAt: NOW.toISOString() };

/** Five experiments of one tactic, as in the README's walkthrough. */
const TACTIC = [
  // Ships: +45 %, all of it from returning customers (95 vs 50 of 500), none from new ones (50 vs 50).
  scored('win', counts(twoArms([1000, 100], [1000, 145]), segments([[500, 50], [500, 95]], [[500, 50], [500, 50]])), completed),
  // Rolls back: −37.5 %.
  scored('loss', counts(twoArms([1000, 160], [1000, 100]))),
  // Completed with no significant difference: inconclusive, overall and in each segment.
  scored('flat', counts(twoArms([1000, 120], [1000, 124]), segments([[500, 60], [500, 62]], [[500, 60], [500, 62]])), completed),
  // Still running, 2 days in: listed, not counted.
  scored('running', counts(twoArms([1000, 100], [1000, 104])), { startedAt: after(8).toISOString() }),
  // A sample ratio mismatch overall (800 vs 500), though its returning segment alone (300 vs 300) looks like a win.
  scored('invalid', counts(twoArms([800, 30], [500, 60]), segments([[300, 30], [300, 60]], [[500, 0], [200, 0]]))),
];

test('outcomes: ship is a win, rollback a loss, a completed experiment with neither inconclusive; running and invalid ones are listed, not counted', () => {
  const m = scorecard('reco', TACTIC, NOW).metrics[0];
  expect(m.metric).toBe('purchase');
  expect(m.experiments.map((x) => [x.key, x.decision, x.outcome, x.counted])).toEqual([
    ['win', 'ship', 'win', true],
    ['loss', 'rollback', 'loss', true],
    ['flat', 'continue', 'inconclusive', true],
    ['running', 'continue', null, false],
    ['invalid', 'invalid', null, false],
  ]);
  expect(m.winRate).toEqual({ wins: 1, losses: 1, inconclusive: 1, rate: 1 / 3 });
});

test("an experiment's row: the decision's arm with its lift; no interval without enough data", () => {
  const m = scorecard('reco', TACTIC, NOW).metrics[0];
  const win = m.experiments[0];
  expect(win).toMatchObject({ variant: 'personalized', reasons: TACTIC[0].decision.reasons });
  expect(win.lift).toBeCloseTo(0.45, 14); // 145/100 − 1
  expect(win.ci).toEqual(TACTIC[0].results.metrics[0].overall.comparisons[0].relative.ci);
  const tiny = scorecard('reco', [scored('tiny', counts(twoArms([50, 5], [50, 9])))], NOW).metrics[0].experiments[0];
  expect(tiny).toMatchObject({ variant: 'personalized', ci: null });
});

test('per segment value, across experiments: the same rules on each segment; an experiment invalid overall counts in no segment', () => {
  // new: the win's new customers (50 vs 50) and the flat experiment's are inconclusive.
  // returning: the win's returning customers win (95 vs 50), the flat experiment's are inconclusive.
  const segments = scorecard('reco', TACTIC, NOW).metrics[0].segments;
  expect(segments.map(({ pooled, ...rate }) => rate)).toEqual([
    { attribute: 'lifecycle', value: 'new', experiments: 3, wins: 0, losses: 0, inconclusive: 2, rate: 0 },
    { attribute: 'lifecycle', value: 'returning', experiments: 3, wins: 1, losses: 0, inconclusive: 1, rate: 0.5 },
  ]);
  // The pooled lift per value: the completed experiments' segment blocks (win and flat; the invalid one has a mismatch).
  expect(segments.map((g) => g.pooled?.experiments)).toEqual([2, 2]);
});

test('a segment loses on a guardrail harmed there, and wins only after minDays', () => {
  const withGuardrail: Partial<ExperimentCreate> = { metrics: [{ key: 'purchase', type: 'binary', role: 'primary' }, { key: 'unsubscribe', type: 'binary', role: 'guardrail', direction: 'decrease' }] };
  const arms = (c: [number, number, number], t: [number, number, number]) => [
    arm('control', c[0], { purchase: binary(c[1]), unsubscribe: binary(c[2]) }),
    arm('personalized', t[0], { purchase: binary(t[1]), unsubscribe: binary(t[2]) }),
  ];
  // Returning customers: more purchases (115 vs 50) and more unsubscribes (60 vs 10); new customers: more purchases, no harm.
  const c = counts(arms([1000, 100, 20], [1000, 230, 70]), [
    { attribute: 'lifecycle', value: 'new', variants: arms([500, 50, 10], [500, 115, 10]) },
    { attribute: 'lifecycle', value: 'returning', variants: arms([500, 50, 10], [500, 115, 60]) },
  ]);
  const rates = (lifecycle: Lifecycle) => scorecard('reco', [scored('x', c, lifecycle, withGuardrail)], NOW).metrics[0].segments.map((s) => [s.value, s.wins, s.losses]);
  expect(rates({ startedAt: after(0).toISOString() })).toEqual([
    ['new', 1, 0],
    ['returning', 0, 1],
  ]);
  // Three days in, the new customers' win does not count yet.
  expect(rates({ startedAt: after(7).toISOString() })).toEqual([
    ['new', 0, 0],
    ['returning', 0, 1],
  ]);
});

/** The delta-method log ratio of two rates of n units each: y = ln(pT/pC), v = (1 − pT)/(n pT) + (1 − pC)/(n pC). */
const logRatio = (n: number, c: number, t: number) => ({ y: Math.log(t / c), v: (1 - t / n) / t + (1 - c / n) / c });

describe('pooled lift', () => {
  test('one experiment: its own lift and log-scale interval, no heterogeneity', () => {
    const p = scorecard('reco', [TACTIC[0]], NOW).metrics[0].pooled!;
    const { y, v } = logRatio(1000, 100, 145);
    expect(p.experiments).toBe(1);
    expect(p.fixed.lift).toBeCloseTo(0.45, 14);
    expect(p.fixed.se).toBeCloseTo(Math.sqrt(v), 14);
    expect(p.fixed.ci[0]).toBeCloseTo(Math.expm1(y - z975 * Math.sqrt(v)), 12);
    expect(p.random.logEstimate).toBeCloseTo(y, 14);
    expect([p.q, p.tau2, p.i2]).toEqual([0, 0, 0]);
  });

  test('fixed effect and DerSimonian-Laird over the experiments with enough data and no sample ratio mismatch', () => {
    // Completed only by default: win and flat.
    expect(scorecard('reco', TACTIC, NOW).metrics[0].pooled).toMatchObject({ experiments: 2, provisional: false });
    const p = scorecard('reco', TACTIC, NOW, { include: 'running' }).metrics[0].pooled!;
    expect(p).toMatchObject({ provisional: true, running: 2, intervalType: 'fixed' });
    // win, loss, flat and running (the invalid one is left out), 1,000 units per arm each.
    const effects = [logRatio(1000, 100, 145), logRatio(1000, 160, 100), logRatio(1000, 120, 124), logRatio(1000, 100, 104)];
    const w = effects.map((e) => 1 / e.v);
    const sw = w.reduce((a, b) => a + b, 0);
    const fixed = effects.reduce((a, e, i) => a + w[i] * e.y, 0) / sw;
    const q = effects.reduce((a, e, i) => a + w[i] * (e.y - fixed) ** 2, 0);
    const tau2 = Math.max(0, (q - 3) / (sw - w.reduce((a, b) => a + b * b, 0) / sw));
    const wr = effects.map((e) => 1 / (e.v + tau2));
    const random = effects.reduce((a, e, i) => a + wr[i] * e.y, 0) / wr.reduce((a, b) => a + b, 0);
    expect(p.experiments).toBe(4);
    expect(p.fixed.logEstimate).toBeCloseTo(fixed, 12);
    expect(p.fixed.se).toBeCloseTo(1 / Math.sqrt(sw), 12);
    expect(p.q).toBeCloseTo(q, 10);
    expect(p.tau2).toBeCloseTo(tau2, 12);
    expect(p.i2).toBeCloseTo((q - 3) / q, 12);
    expect(p.random.logEstimate).toBeCloseTo(random, 12);
    expect(p.random.lift).toBeCloseTo(Math.expm1(random), 12);
  });

  test('nothing to pool: null', () => {
    expect(scorecard('reco', [TACTIC[4]], NOW).metrics[0].pooled).toBeNull();
  });
});

test('an unacknowledged suspicious lift: held back as invalid, listed with its reasons, neither counted nor pooled; acknowledged, it counts', () => {
  // +60 % on 1,000 units per arm: flagged as suspiciously large (trust-checks.ts).
  const c = counts(twoArms([1000, 100], [1000, 160]));
  const held = scorecard('reco', [scored('big', c, completed), TACTIC[1]], NOW).metrics[0];
  expect(held.experiments[0]).toMatchObject({ key: 'big', decision: 'invalid', counted: false, outcome: null, variant: 'personalized' });
  expect(held.experiments[0].reasons![1]).toMatch(/^Held back: on purchase, personalized vs control, a lift of 60 % is suspiciously large .* acknowledge it with \?acknowledge=suspicious_lift/);
  expect(held.winRate).toEqual({ wins: 0, losses: 1, inconclusive: 0, rate: 0 });
  // The held experiment adds nothing to the pool: the same pool as without it.
  expect(held.pooled).toEqual(scorecard('reco', [TACTIC[1]], NOW).metrics[0].pooled);
  const e = experiment({ key: 'big' }, completed);
  const results = computeResults(e, c);
  const checked = scorecard('reco', [{ experiment: e, results, decision: decide(e, results, { now: NOW, acknowledge: ['suspicious_lift'] }) }], NOW).metrics[0];
  expect(checked.experiments[0]).toMatchObject({ decision: 'ship', outcome: 'win', counted: true });
  expect(checked.pooled!.experiments).toBe(1);
});

test('one scorecard block per primary metric of the tactic', () => {
  const signup = scored('signup', counts([arm('control', 1000, { purchase: binary(0), signup: binary(100) }), arm('personalized', 1000, { purchase: binary(0), signup: binary(150) })]), {}, {
    metrics: [{ key: 'signup', type: 'binary', role: 'primary' }, { key: 'purchase', type: 'binary' }],
  });
  const card = scorecard('reco', [TACTIC[0], signup], NOW);
  expect(card).toMatchObject({ tactic: 'reco', checkedAt: NOW.toISOString() });
  expect(card.metrics.map((m) => [m.metric, m.experiments.map((x) => x.key)])).toEqual([
    ['purchase', ['win']],
    ['signup', ['signup']],
  ]);
});
