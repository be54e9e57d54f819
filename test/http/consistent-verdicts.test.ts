import type { ExperimentCreate } from '../../src/model/experiment';
import { backdateStart, DAY_MS, runExperiment } from '../helpers/experiments';
import { experimentBody } from '../helpers/fixtures';
import { seed, type ArmPlan } from '../helpers/seed';
import { bearer, useWorld } from '../helpers/world';

/**
 * Issue 16, "numbers that agree everywhere", the decision's part, through HTTP: each test is a
 * finding that the decision contradicted the results (each fails on the main branch before
 * it). The rules are unit-tested on literal counts in test/results/decision.test.ts.
 */
const world = useWorld();
let read: Record<string, string>;
beforeAll(async () => {
  read = bearer(await world.key('read'));
});

const get = async (path: string, status = 200) => (await world.api.get(path).set(read).expect(status)).body;
const decision = (key: string, query = '') => get(`/v1/experiments/${key}/decision${query}`);
const results = (key: string) => get(`/v1/experiments/${key}/results`);

const GUARDRAIL = { key: 'unsubscribe', type: 'binary', role: 'guardrail', direction: 'decrease' } as const;
const running = (overrides: Partial<ExperimentCreate>, plan: Record<string, ArmPlan>, days = 8) => runExperiment(world, { segments: [], analysis: 'fixed', ...overrides }, { days, plan });

test('a 2x2 factorial where only the offer works: the effects carry Holm-adjusted p-values, and the decision ships offer=freeship', async () => {
  const body = experimentBody({
    respectsHoldout: false,
    segments: [],
    analysis: 'fixed',
    factors: [
      { key: 'headline', levels: [{ key: 'generic' }, { key: 'personal' }] },
      { key: 'offer', levels: [{ key: 'standard' }, { key: 'freeship' }] },
    ],
  });
  delete (body as Partial<ExperimentCreate>).variants;
  const admin = bearer(world.adminKey);
  await world.api.post('/v1/experiments').set(admin).send(body).expect(201);
  await world.api.post(`/v1/experiments/${body.key}/start`).set(admin).expect(200);
  await backdateStart(world, body.key, 8 * DAY_MS);
  // Rates 10 % | 13 % with either headline: offer +3 points (z = 2.98), headline 0, no interaction.
  const cell = (converters: number) => ({ units: 1000, converters });
  await seed(world, body.key, { 'generic.standard': cell(100), 'generic.freeship': cell(130), 'personal.standard': cell(100), 'personal.freeship': cell(130) });

  const m = (await results(body.key)).metrics.find((x: { key: string }) => x.key === 'purchase');
  const offer = m.factors.find((x: { factors: string[] }) => x.factors[0] === 'offer');
  const headline = m.factors.find((x: { factors: string[] }) => x.factors[0] === 'headline');
  expect(offer).toMatchObject({ significant: true, better: true });
  expect(offer.pValueAdjusted).toBeCloseTo(3 * offer.pValue, 12); // the smallest of 3 effects: Holm multiplies by 3
  expect(offer.pValueAdjusted).toBeLessThan(0.05);
  expect(offer.relative).toBeCloseTo(0.3, 12); // 3 points over the 10 % of offer=standard
  expect(headline).toMatchObject({ significant: false, better: null });
  expect(m.interactions[0]).toMatchObject({ significant: false });
  // No single combination beats the control after Holm across the 3 cells: the old answer was "continue".
  expect(m.overall.comparisons.every((c: { significant: boolean }) => !c.significant)).toBe(true);

  const d = await decision(body.key);
  expect(d).toMatchObject({ decision: 'ship', variant: 'generic.freeship', levels: { headline: 'generic', offer: 'freeship' } });
  expect(d.reasons[0]).toMatch(/^offer=freeship raised purchase by \+3\.0 points .*, about \+30\.0 % over offer=standard, adjusted p = 0\.0\d+ \(Holm across the 3 effects on purchase; fixed analysis, alpha 0\.05\)\.$/);
  expect(d.reasons[1]).toBe('Ship offer=freeship (keep headline=generic): the combination generic.freeship.');
  expect(d.effects).toHaveLength(3);
});

describe('every results warning is in the decision, and a suspicious lift is held back until acknowledged', () => {
  let key: string;
  beforeAll(async () => {
    // +60 % on 1,000 units per arm (suspiciously large); no unsubscribes yet (too few to judge the guardrail).
    key = await running(
      { metrics: [{ key: 'purchase', type: 'binary', role: 'primary' }, GUARDRAIL] },
      { control: { units: 1000, converters: 100 }, personalized: { units: 1000, converters: 160 } },
    );
  });

  test('every warning of the results is in the reasons and the warnings', async () => {
    const r = await results(key);
    const d = await decision(key);
    const shown = r.metrics.flatMap((m: { key: string; overall: { comparisons: { variant: string; control: string; warnings: string[] }[] } }) =>
      m.overall.comparisons.flatMap((c) => c.warnings.map((w) => `${m.key}, ${c.variant} vs ${c.control}: ${w}`)),
    );
    expect(shown.length).toBeGreaterThanOrEqual(2); // the suspicious lift, the guardrail's missing data
    expect(d.warnings).toEqual(shown);
    for (const w of shown.filter((x: string) => !x.includes('suspiciously'))) expect(d.reasons).toContain(`Warning: ${w}.`);
    expect(d.reasons.join('\n')).toMatch(/a lift of 60 % is suspiciously large/);
  });

  test('the suspicious ship is invalid until ?acknowledge=suspicious_lift, which the decision reports', async () => {
    const held = await decision(key);
    expect(held).toMatchObject({ decision: 'invalid', variant: 'personalized', acknowledged: [] });
    expect(held.reasons[1]).toMatch(/^Held back: on purchase, personalized vs control, a lift of 60 % is suspiciously large .* acknowledge it with \?acknowledge=suspicious_lift/);
    const checked = await decision(key, '?acknowledge=suspicious_lift');
    expect(checked).toMatchObject({ decision: 'ship', variant: 'personalized', acknowledged: ['suspicious_lift'] });
    expect(checked.reasons).toContain('The suspiciously large lift of personalized was acknowledged (acknowledge=suspicious_lift): the tracking has been checked.');
    const bad = await get(`/v1/experiments/${key}/decision?acknowledge=srm`, 400);
    expect(bad.errors.map((e: { field: string }) => e.field)).toEqual(['query.acknowledge.0']); // the first value given
  });

  test('the tactic scorecard lists the held-back experiment as invalid: neither counted nor pooled', async () => {
    const e = await get(`/v1/experiments/${key}`);
    const card = await get(`/v1/tactics/${e.tactic}`);
    const row = card.metrics[0].experiments.find((x: { key: string }) => x.key === key);
    expect(row).toMatchObject({ decision: 'invalid', counted: false, outcome: null });
  });
});

test('3 arms: one arm below the minimum data does not make the decision invalid while another clearly wins; each pair is decided', async () => {
  // Weights 20:20:1 match 1,000 : 1,000 : 50 exactly. recent: +45 % (z = 3.08); bundle: 50 units, not enough data.
  const key = await running(
    {
      variants: [
        { key: 'control', name: 'Generic', weight: 20, control: true },
        { key: 'recent', name: 'Recently viewed', weight: 20 },
        { key: 'bundle', name: 'Bundles', weight: 1 },
      ],
    },
    { control: { units: 1000, converters: 100 }, recent: { units: 1000, converters: 145 }, bundle: { units: 50, converters: 5 } },
  );
  const d = await decision(key);
  expect(d).toMatchObject({ decision: 'ship', variant: 'recent' });
  expect(d.pairs.map((p: { variant: string; decision: string }) => [p.variant, p.decision])).toEqual([
    ['recent', 'ship'],
    ['bundle', 'invalid'],
  ]);
  expect(d.reasons).toContain('bundle has too little data on purchase to be decided yet (see pairs): the decision rests on recent.');
});

test("power advice uses the metric's direction and the observed lift, and says when it is already detectable", async () => {
  // Bounces should decrease: 150 of 1,000 against 300 of 1,000 is -50 %.
  const key = await running({ metrics: [{ key: 'bounce', type: 'binary', role: 'primary', direction: 'decrease' }] }, {
    control: { units: 1000, converters: 300, event: 'bounce' },
    personalized: { units: 1000, converters: 150, event: 'bounce' },
  });
  const power = (await results(key)).metrics[0].power;
  // 0.3 -> 0.285 needs (norm.isf(0.025) + norm.ppf(0.8))**2 * (0.3*0.7 + 0.285*0.715) / 0.015**2 = 14,434.1 per arm (scipy).
  expect(power).toMatchObject({ direction: 'decrease', lift: -0.05, unitsPerArm: 14_435 });
  // -50 %: 0.3 -> 0.15 needs (…)**2 * (0.21 + 0.1275) / 0.15**2 = 117.7 per arm, fewer than the 1,000 it has.
  expect(power.observed).toMatchObject({ variant: 'personalized', direction: 'good', unitsPerArm: 118, moreUnitsPerArm: 0, detectable: true });
  expect(power.observed.lift).toBeCloseTo(-0.5, 12);
  // A rise of the same metric is the bad way.
  const up = await running({ metrics: [{ key: 'bounce', type: 'binary', role: 'primary', direction: 'decrease' }] }, {
    control: { units: 1000, converters: 150, event: 'bounce' },
    personalized: { units: 1000, converters: 160, event: 'bounce' },
  });
  const d = await decision(up);
  expect(d.power.observed).toMatchObject({ direction: 'bad' });
  expect(d.reasons[1]).toMatch(/^Roughly [\d,]+ more units per arm are needed to detect a -5 % change with 80 % power\.$/);
});
