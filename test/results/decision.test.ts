import type { ExperimentCreate } from '../../src/model/experiment';
import { computeResults } from '../../src/results/compute';
import { daysRunning, decide, type DecisionOptions } from '../../src/results/decision';
import scipy from '../stats/vectors/scipy.json';
import { after, arm, binary, counts, experiment, sums, twoArms, type Lifecycle } from './literal';

/**
 * One test per rule of src/results/decision.ts, on literal counts. The decision's numbers come
 * from the results; what is checked here is which rule fires and what its reasons say.
 * Lifts are worked by hand (160/1,000 against 100/1,000 is +60 %); "p < 0.0001" is z > 3.9.
 */
const GUARDRAIL = { key: 'unsubscribe', type: 'binary', role: 'guardrail', direction: 'decrease' } as const;
const WITH_GUARDRAIL: Partial<ExperimentCreate> = { metrics: [{ key: 'purchase', type: 'binary', role: 'primary' }, GUARDRAIL] };
const THREE_ARMS: Partial<ExperimentCreate> = {
  variants: [
    { key: 'control', name: 'Generic', weight: 1, control: true },
    { key: 'recent', name: 'Recently viewed', weight: 1 },
    { key: 'bundle', name: 'Bundles', weight: 1 },
  ],
  metrics: WITH_GUARDRAIL.metrics,
};
/** scipy.json "power": a control rate of 0.1 needs 57,760 units per arm for a +5 % lift. */
const UNITS_FOR_5_PERCENT = scipy.power.find((x) => x.kind === 'binary' && x.baseline === 0.1 && x.mde === 0.05)!.unitsPerArm;

/** Arms with [units, purchases, unsubscribes]. */
const arms = (a: Record<string, [number, number, number?]>) =>
  Object.entries(a).map(([variant, [units, purchases, unsubscribes]]) => arm(variant, units, { purchase: binary(purchases), unsubscribe: binary(unsubscribes ?? 0) }));

function decision(overrides: Partial<ExperimentCreate>, armCounts: ReturnType<typeof arms>, options: DecisionOptions = {}, lifecycle: Lifecycle = {}) {
  const e = experiment(overrides, lifecycle);
  return decide(e, computeResults(e, counts(armCounts)), { now: after(0), ...options });
}

/** +45 %: significant, and below the ±50 % that is flagged as suspicious under 10,000 units per arm. */
const WIN = arms({ control: [1000, 100], personalized: [1000, 145] });
/** +60 % on 1,000 units per arm: significant, and suspiciously large (trust-checks.ts). */
const SUSPICIOUS = arms({ control: [1000, 100], personalized: [1000, 160] });
/** "(95 % interval +a % to +b %)", as the reasons quote an interval. */
const INTERVAL = String.raw`\(95 % (fixed|sequential) interval [+-]\d+\.\d % to [+-]\d+\.\d %\)`;

describe('invalid: the data cannot carry a decision', () => {
  test('no exposures: a running experiment is told to check its tracking, a draft to start', () => {
    const none = arms({ control: [0, 0], personalized: [0, 0] });
    expect(decision({}, none)).toMatchObject({
      decision: 'invalid',
      variant: null,
      reasons: ['No exposures recorded for "exp" yet: check that the storefront calls /v1/assign (or sends exposure events) for it.'],
    });
    expect(decision({}, none, {}, { status: 'draft' }).reasons).toEqual(['"exp" has not started: start it and send exposures before deciding.']);
  });

  test('a sample ratio mismatch, even with a significant win', () => {
    // 700 vs 500 against 1:1: chi-square = 2 x 100²/600 = 33.3 on 1 df, far past 15.1 (p = 0.0001).
    const d = decision({}, arms({ control: [700, 60], personalized: [500, 90] }), { minDays: 0 });
    expect(d.decision).toBe('invalid');
    expect(d.reasons).toEqual([
      'Sample ratio mismatch: units per variant are control 700 (expected 50 %), personalized 500 (expected 50 %), p < 0.0001. Assignment or tracking is broken; fix it before trusting any result.',
      // 90/500 against 60/700: +110 %, the other warning of the results, is said too.
      'Warning: purchase, personalized vs control: a lift of 110 % is suspiciously large for this little data (under 10,000 units per arm): check the tracking before trusting it.',
    ]);
  });

  test('an arm below the minimum data rule, with the units still needed', () => {
    const d = decision({}, arms({ control: [80, 8], personalized: [80, 9] }), { minDays: 0 });
    expect(d.decision).toBe('invalid');
    // 9/80 against 8/80 is +12.5 %, past the 5 % MDE: the advice is for an effect of the observed size.
    // scipy: (norm.isf(0.025) + norm.ppf(0.8))**2 * (0.1*0.9 + 0.1125*0.8875) / 0.0125**2 = 9,536.4.
    expect(d.reasons).toEqual([
      'Not enough data on purchase yet: at least 100 units in each of the two arms compared, and at least 10 converting units (units with an event; for ratio metrics, with a denominator event) across the two.' +
        ` Now control 80 units, personalized 80 units. Roughly ${(9_537 - 80).toLocaleString('en')} more units per arm are needed to detect an effect as large as the observed +12.5 % (personalized).`,
    ]);
    expect(d.power).toMatchObject({ unitsPerArm: UNITS_FOR_5_PERCENT, observed: { variant: 'personalized', lift: expect.closeTo(0.125, 14), unitsPerArm: 9_537, detectable: false } });
  });
});

describe('rollback: a significant harm anywhere', () => {
  test('the decided metric worse', () => {
    // 100/1,000 against 160/1,000: 0.1/0.16 − 1 = −37.5 %.
    const d = decision({}, arms({ control: [1000, 160], personalized: [1000, 100] }));
    expect(d).toMatchObject({ decision: 'rollback', variant: 'personalized' });
    expect(d.reasons).toEqual([expect.stringMatching(new RegExp(`^personalized made purchase worse: -37\\.5 % ${INTERVAL} against control, adjusted p < 0\\.0001; purchase should increase\\.$`))]);
  });

  test('a guardrail harmed by the winning arm itself', () => {
    // Unsubscribes 80/1,000 against 20/1,000: +300 %.
    const d = decision(WITH_GUARDRAIL, arms({ control: [1000, 100, 20], personalized: [1000, 160, 80] }), { minDays: 0 });
    expect(d).toMatchObject({ decision: 'rollback', variant: 'personalized' });
    expect(d.reasons[0]).toMatch(new RegExp(`^Guardrail unsubscribe moved the wrong way for personalized: \\+300\\.0 % ${INTERVAL} against control, adjusted p < 0\\.0001; unsubscribe should decrease\\.$`));
    expect(d.reasons[1]).toMatch(new RegExp(`^personalized did raise purchase \\(\\+60\\.0 % ${INTERVAL}\\), but its guardrail harm outweighs that\\.$`));
    expect(d.guardrails[0]).toMatchObject({ metric: 'unsubscribe', variant: 'personalized', significant: true, better: false });
  });

  test('a guardrail harmed by another arm blocks a clean win, before and after minDays alike', () => {
    // recent: 170 vs 100 purchases (+70 %), no harm; bundle: 90 vs 20 unsubscribes (+350 %).
    const three = arms({ control: [1000, 100, 20], recent: [1000, 170, 20], bundle: [1000, 110, 90] });
    for (const now of [after(1), after(30)]) {
      const d = decision(THREE_ARMS, three, { now });
      expect(d).toMatchObject({ decision: 'rollback', variant: 'bundle' });
      expect(d.reasons[0]).toMatch(/^Guardrail unsubscribe moved the wrong way for bundle: \+350\.0 %/);
      expect(d.reasons[1]).toMatch(new RegExp(`^recent raised purchase \\(\\+70\\.0 % ${INTERVAL}\\) without harm, but another arm did harm: roll back, then test recent on its own\\.$`));
    }
  });
});

describe('ship: an arm significantly better, minLift and minDays met', () => {
  test('without minLift, after minDays: the winner ships, its guardrails named', () => {
    const d = decision(WITH_GUARDRAIL, arms({ control: [1000, 100, 20], personalized: [1000, 145, 20] }), { now: after(8) });
    expect(d).toMatchObject({ decision: 'ship', variant: 'personalized', metric: 'purchase', minDays: 7, minLift: null, daysRunning: 8, warnings: [], acknowledged: [] });
    expect(d.reasons).toEqual([
      expect.stringMatching(new RegExp(`^personalized raised purchase by \\+45\\.0 % ${INTERVAL}, adjusted p = 0\\.00\\d\\d \\(fixed analysis, alpha 0\\.05\\)\\.$`)),
      'No guardrail (unsubscribe) is significantly harmed.',
      'It has run 8.0 days.',
    ]);
    expect(decision({}, WIN, { now: after(8) }).reasons[1]).toBe('The experiment has no guardrail metric.');
  });

  test('of two winning arms, the larger lift ships', () => {
    const d = decision(THREE_ARMS, arms({ control: [1000, 100], recent: [1000, 148], bundle: [1000, 140] }), { minDays: 0 });
    expect(d).toMatchObject({ decision: 'ship', variant: 'recent' });
    expect(d.primary.map((c) => [c.variant, c.significant])).toEqual([
      ['recent', true],
      ['bundle', true],
    ]);
  });

  test('minLift: the lower bound of the interval must clear it; until then, continue with the units it would take', () => {
    expect(decision({}, WIN, { minDays: 0, minLift: 0.1 }).decision).toBe('ship');
    const d = decision({}, WIN, { minDays: 0, minLift: 0.3 });
    expect(d.decision).toBe('continue');
    const { estimate, ci } = d.primary[0].relative as { estimate: number; ci: [number, number] };
    expect(ci[0]).toBeLessThan(0.5);
    const shown = (x: number) => `+${(x * 100).toFixed(1)} %`;
    expect(d.reasons[1]).toBe(`The 95 % fixed interval of the lift (${shown(ci[0])} to ${shown(ci[1])}) does not yet clear the required minimum lift of +30.0 %: keep collecting data.`);
    // The half-width h shrinks as 1/sqrt(n): n' = n·(h / (lift − minLift))².
    const needed = Math.ceil(1000 * ((estimate - ci[0]) / (estimate - 0.3)) ** 2);
    expect(d.reasons[2]).toBe(`If the lift holds, roughly ${(needed - 1000).toLocaleString('en')} more units per arm would clear it.`);
  });

  test('minLift for a metric that should fall: the smallest reduction the interval guarantees', () => {
    // Bounces 150/1,000 against 300/1,000: −50 %.
    const bounce: Partial<ExperimentCreate> = { metrics: [{ key: 'purchase', type: 'binary', role: 'primary', direction: 'decrease' }] };
    const fewer = arms({ control: [1000, 300], personalized: [1000, 150] });
    const d = decision(bounce, fewer, { minDays: 0, minLift: 0.2 });
    expect(d).toMatchObject({ decision: 'ship', variant: 'personalized' });
    expect(d.reasons[0]).toMatch(/^personalized lowered purchase by -50\.0 %/);
    const high = (d.primary[0].relative.ci as [number, number])[1];
    const strict = decision(bounce, fewer, { minDays: 0, minLift: -high + 0.01 });
    expect(strict.decision).toBe('continue');
    expect(strict.reasons[1]).toMatch(/does not yet clear the required minimum reduction of \d+\.\d %: keep collecting data\.$/);
  });

  test('minDays: the same win is "continue" before, "ship" from the day it is reached', () => {
    const early = decision({}, WIN, { now: after(3) });
    expect(early.decision).toBe('continue');
    expect(early.reasons[1]).toBe('It has run 3.0 days; at least 7 are required (full weeks avoid day-of-week effects).');
    expect(decision({}, WIN, { now: after(6.9) }).decision).toBe('continue');
    expect(decision({}, WIN, { now: after(7) }).decision).toBe('ship');
    expect(decision({}, WIN, { now: after(0), minDays: 0 })).toMatchObject({ decision: 'ship', reasons: [expect.any(String), expect.any(String), 'It has run 0.0 days.'] });
  });
});

describe('continue: no significant difference yet', () => {
  test('says the best arm, the units still needed and the days still to run (sequential p = 0.337 of the score statistic, numbers-agree.json "binary10k")', () => {
    const d = decision({ analysis: 'sequential' }, arms({ control: [10_000, 1000], personalized: [10_000, 1100] }), { now: after(3) });
    expect(d).toMatchObject({ decision: 'continue', variant: null, analysis: 'sequential' });
    expect(d.reasons).toEqual([
      expect.stringMatching(new RegExp(`^No significant difference on purchase yet: personalized \\+10\\.0 % ${INTERVAL} against control, adjusted p = 0\\.337 \\(sequential analysis, alpha 0\\.05\\)\\.$`)),
      // +10 % observed, past the 5 % MDE: the units an effect of that size needs, not those of +5 %.
      // scipy: (norm.isf(0.025) + norm.ppf(0.8))**2 * (0.1*0.9 + 0.11*0.89) / 0.01**2 = 14,748.05.
      `Roughly ${(14_749 - 10_000).toLocaleString('en')} more units per arm are needed to detect an effect as large as the observed +10.0 % (personalized) with 80 % power.`,
      'It has run 3.0 of the 7 days required before shipping.',
    ]);
  });

  test('when the arms already have the units, the effect is likely smaller than the MDE', () => {
    const d = decision({}, arms({ control: [60_000, 6000], personalized: [60_000, 6000] }), { minDays: 0 });
    expect(d.reasons[1]).toBe('The arms already have the units to detect a +5 % lift: the effect, if any, is likely smaller than that.');
  });

  test('when the units needed cannot be estimated, says why', () => {
    // Every unit spent 5: zero variance, so no sample size.
    const e: Partial<ExperimentCreate> = { metrics: [{ key: 'revenue', type: 'revenue', role: 'primary' }] };
    const same = [arm('control', 200, { revenue: sums(200, 1000, 5000) }), arm('personalized', 200, { revenue: sums(200, 1000, 5000) })];
    expect(decision(e, same, { minDays: 0 }).reasons[1]).toBe(
      'The units still needed cannot be estimated yet (the baseline has no variance yet (every unit has the same value): the sample size cannot be estimated).',
    );
  });
});

test('?metric= decides on another metric than the primary', () => {
  const e: Partial<ExperimentCreate> = { metrics: [{ key: 'purchase', type: 'binary', role: 'primary' }, { key: 'signup', type: 'binary' }] };
  const signups = [arm('control', 1000, { purchase: binary(0), signup: binary(100) }), arm('personalized', 1000, { purchase: binary(0), signup: binary(145) })];
  expect(decision(e, signups, { minDays: 0 }).decision).toBe('invalid'); // no purchases at all
  expect(decision(e, signups, { minDays: 0, metric: 'signup' })).toMatchObject({ decision: 'ship', metric: 'signup' });
});

test('days running: from the start to now, or to completion', () => {
  const started = experiment();
  expect(daysRunning(started, after(2.5))).toBe(2.5);
  expect(daysRunning(experiment({}, { status: 'completed', completedAt: after(10).toISOString() }), after(40))).toBe(10);
  expect(daysRunning(experiment({}, { status: 'draft' }), after(5))).toBe(0);
  expect(decision({}, twoArms([1000, 100], [1000, 160]), { now: after(1.234) }).daysRunning).toBe(1.23);
});

describe('every results warning is said, and a suspicious lift holds a ship back until acknowledged', () => {
  const SUSPICION = 'a lift of 60 % is suspiciously large for this little data (under 10,000 units per arm): check the tracking before trusting it';

  test('a suspiciously large winning lift is invalid, held back, with how to acknowledge it', () => {
    const d = decision({}, SUSPICIOUS, { minDays: 0 });
    expect(d).toMatchObject({ decision: 'invalid', variant: 'personalized', acknowledged: [], warnings: [`purchase, personalized vs control: ${SUSPICION}`] });
    expect(d.reasons).toEqual([
      expect.stringMatching(/^personalized raised purchase by \+60\.0 %/),
      `Held back: on purchase, personalized vs control, ${SUSPICION}. Check that both arms' exposures and conversions are tracked alike, then acknowledge it with ?acknowledge=suspicious_lift (verdict check --acknowledge suspicious_lift) to ship.`,
    ]);
    expect(d.pairs).toEqual([{ variant: 'personalized', control: 'control', decision: 'invalid', reasons: [expect.any(String), expect.stringMatching(/^Held back/)] }]);
  });

  test('acknowledged, it ships, and the decision says what was acknowledged', () => {
    const d = decision({}, SUSPICIOUS, { minDays: 0, acknowledge: ['suspicious_lift'] });
    expect(d).toMatchObject({ decision: 'ship', variant: 'personalized', acknowledged: ['suspicious_lift'] });
    expect(d.reasons).toContain('The suspiciously large lift of personalized was acknowledged (acknowledge=suspicious_lift): the tracking has been checked.');
    expect(d.reasons).toContain(`Warning: purchase, personalized vs control: ${SUSPICION}.`);
    // An acknowledgement of nothing suspicious changes nothing but is reported.
    expect(decision({}, WIN, { minDays: 0, acknowledge: ['suspicious_lift'] })).toMatchObject({ decision: 'ship', acknowledged: ['suspicious_lift'], warnings: [] });
  });

  test('a rollback is never held back (stopping is the safe side), but the warning is said', () => {
    const d = decision({}, arms({ control: [1000, 160], personalized: [1000, 60] }));
    expect(d.decision).toBe('rollback');
    expect(d.reasons[d.reasons.length - 1]).toMatch(/^Warning: purchase, personalized vs control: a lift of -63 % is suspiciously large/);
  });

  test("a guardrail's warning (not enough data) is in the reasons and the warnings of a continue", () => {
    const d = decision(WITH_GUARDRAIL, arms({ control: [1000, 100, 2], personalized: [1000, 104, 3] }), { minDays: 0 });
    expect(d.decision).toBe('continue');
    const line = 'unsubscribe, personalized vs control: not enough data yet: at least 100 units in each of the two arms compared, and at least 10 converting units (units with an event; for ratio metrics, with a denominator event) across the two (now 1000 and 1000 units, 5 converting)';
    expect(d.warnings).toEqual([line]);
    expect(d.reasons[d.reasons.length - 1]).toBe(`Warning: ${line}.`);
  });
});

describe('3+ arms: each pair is decided on its own', () => {
  // Weights 20:20:1 match 1,000 : 1,000 : 50 exactly, so there is no sample ratio mismatch.
  const UNEVEN: Partial<ExperimentCreate> = {
    variants: [
      { key: 'control', name: 'Generic', weight: 20, control: true },
      { key: 'recent', name: 'Recently viewed', weight: 20 },
      { key: 'bundle', name: 'Bundles', weight: 1 },
    ],
  };

  test('an arm below the minimum data does not make the decision invalid while another arm wins', () => {
    const d = decision(UNEVEN, arms({ control: [1000, 100], recent: [1000, 145], bundle: [50, 5] }), { minDays: 0 });
    expect(d).toMatchObject({ decision: 'ship', variant: 'recent' });
    expect(d.pairs.map((p) => [p.variant, p.decision])).toEqual([
      ['recent', 'ship'],
      ['bundle', 'invalid'],
    ]);
    expect(d.pairs[1].reasons[0]).toMatch(/^bundle vs control on purchase: not enough data yet: .* \(now 1000 and 50 units, 105 converting\)\.$/);
    expect(d.reasons).toContain('bundle has too little data on purchase to be decided yet (see pairs): the decision rests on recent.');
  });

  test('every arm below it: invalid, as with two arms', () => {
    const d = decision(UNEVEN, arms({ control: [80, 8], recent: [80, 9], bundle: [4, 0] }), { minDays: 0 });
    expect(d.decision).toBe('invalid');
    expect(d.pairs.every((p) => p.decision === 'invalid')).toBe(true);
  });
});

describe('multivariate: decided on the factor effects', () => {
  const FACTORS: Partial<ExperimentCreate> = {
    factors: [
      { key: 'headline', levels: [{ key: 'generic' }, { key: 'personal' }] },
      { key: 'offer', levels: [{ key: 'standard' }, { key: 'freeship' }] },
    ],
  };
  const cells = (c: Record<string, number>) => Object.entries(c).map(([variant, converters]) => arm(variant, 1000, { purchase: binary(converters) }));

  test('a 2x2 where only the offer works ships offer=freeship, though no single cell beats the control after Holm', () => {
    // Rates 0.10, 0.13 | 0.10, 0.13: offer +3 points (z = 0.03 / (½·sqrt((2·0.09 + 2·0.1131)/1000)) = 2.98), headline 0, interaction 0.
    const d = decision(FACTORS, cells({ 'generic.standard': 100, 'generic.freeship': 130, 'personal.standard': 100, 'personal.freeship': 130 }), { minDays: 0 });
    expect(d).toMatchObject({ decision: 'ship', variant: 'generic.freeship', levels: { headline: 'generic', offer: 'freeship' } });
    expect(d.reasons[0]).toMatch(/^offer=freeship raised purchase by \+3\.0 points \(95 % interval \+1\.0 points to \+5\.0 points\), about \+30\.0 % over offer=standard, adjusted p = 0\.00\d\d \(Holm across the 3 effects on purchase; fixed analysis, alpha 0\.05\)\.$/);
    expect(d.reasons[1]).toBe('Ship offer=freeship (keep headline=generic): the combination generic.freeship.');
    expect(d.primary.every((c) => !c.significant)).toBe(true);
    const offer = d.effects!.find((x) => x.factors[0] === 'offer')!;
    expect(offer).toMatchObject({ significant: true, better: true });
    expect(offer.pValueAdjusted).toBeCloseTo(3 * offer.pValue!, 14); // the smallest of 3: Holm multiplies by 3
  });

  test('no factor level significant: continue, naming the strongest effect', () => {
    const d = decision(FACTORS, cells({ 'generic.standard': 100, 'generic.freeship': 104, 'personal.standard': 100, 'personal.freeship': 104 }), { minDays: 0 });
    expect(d).toMatchObject({ decision: 'continue', variant: null, levels: null });
    expect(d.reasons[0]).toMatch(/^No factor level moved purchase significantly yet: the strongest, offer=freeship, \+0\.4 points/);
  });

  test('a level that makes the metric worse, with nothing to ship, rolls back naming it', () => {
    const d = decision(FACTORS, cells({ 'generic.standard': 130, 'generic.freeship': 100, 'personal.standard': 130, 'personal.freeship': 100 }), { minDays: 0 });
    expect(d).toMatchObject({ decision: 'rollback', variant: 'generic.freeship', levels: { headline: 'generic', offer: 'freeship' } });
    expect(d.reasons[0]).toMatch(/^offer=freeship made purchase worse: -3\.0 points .*; keep offer=standard\.$/);
  });
});
