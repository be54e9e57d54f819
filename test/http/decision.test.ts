import type { ExperimentCreate } from '../../src/model/experiment';
import { backdateStart, DAY_MS, runExperiment } from '../helpers/experiments';
import { conversion, send } from '../helpers/events';
import { seed } from '../helpers/seed';
import { bearer, useWorld } from '../helpers/world';

/**
 * GET /v1/experiments/{key}/decision through HTTP: the wiring (counts read from the store,
 * the experiment's analysis and start date, the query options, the guardrails). Each rule is
 * unit-tested on literal counts in test/results/decision.test.ts.
 */
const world = useWorld();
let admin: Record<string, string>;
beforeAll(async () => {
  admin = bearer(world.adminKey);
});

const GUARDRAIL = { key: 'unsubscribe', type: 'binary', role: 'guardrail', direction: 'decrease' } as const;

const running = (overrides: Partial<ExperimentCreate> = {}) => runExperiment(world, { segments: [], analysis: 'fixed', ...overrides });

async function decision(key: string, query = '') {
  return (await world.api.get(`/v1/experiments/${key}/decision${query}`).set(bearer(await world.key('read'))).expect(200)).body;
}

const ranFor = (key: string, days: number) => backdateStart(world, key, days * DAY_MS);

/** +45 %: significant, below the ±50 % held back as suspicious (test/http/consistent-verdicts.test.ts). */
const win = { control: { units: 1000, converters: 100 }, personalized: { units: 1000, converters: 145 } };

describe('invalid: the data cannot carry a decision', () => {
  test('no exposures', async () => {
    const d = await decision(await running());
    expect(d).toMatchObject({ decision: 'invalid', variant: null });
    expect(d.reasons[0]).toMatch(/No exposures recorded/);
  });

});

describe('ship', () => {
  test('the primary metric significantly better, no guardrail harmed, minDays met', async () => {
    const key = await running({ metrics: [{ key: 'purchase', type: 'binary', role: 'primary' }, GUARDRAIL] });
    await seed(world, key, win);
    const d = await decision(key, '?minDays=0');
    expect(d).toMatchObject({ decision: 'ship', variant: 'personalized', metric: 'purchase', minDays: 0, minLift: null });
    expect(d.reasons[0]).toMatch(/^personalized raised purchase by \+45\.0 % \(95 % fixed interval \+\d+\.\d % to \+\d+\.\d %\), adjusted p (< 0\.0001|= 0\.\d+) \(fixed analysis, alpha 0\.05\)\.$/);
    expect(d.reasons[1]).toBe('No guardrail (unsubscribe) is significantly harmed.');
    expect(d.primary[0]).toMatchObject({ variant: 'personalized', significant: true, better: true });
    expect(d.guardrails[0]).toMatchObject({ metric: 'unsubscribe', significant: false });
  });

  test('minDays: the same win before 7 days is "continue", after 7 days "ship"', async () => {
    const key = await running();
    await seed(world, key, win);
    const early = await decision(key);
    expect(early.decision).toBe('continue');
    expect(early.reasons).toContainEqual(expect.stringMatching(/It has run 0\.0 days; at least 7 are required/));
    await ranFor(key, 8);
    const late = await decision(key);
    expect(late.decision).toBe('ship');
    expect(late.daysRunning).toBeGreaterThanOrEqual(8);
  });

  test('minLift: the interval must clear it', async () => {
    const key = await running();
    await seed(world, key, win);
    const strict = await decision(key, '?minDays=0&minLift=0.3');
    expect(strict.decision).toBe('continue');
    const [low, high] = strict.primary[0].relative.ci.map((x: number) => `+${(x * 100).toFixed(1)} %`);
    expect(strict.reasons[1]).toBe(`The 95 % fixed interval of the lift (${low} to ${high}) does not yet clear the required minimum lift of +30.0 %: keep collecting data.`);
    // If +45 % holds, the half-width (45 - low points) must shrink to 15 points: n' = 1000 · (half / 0.15)².
    const more = Number(/^If the lift holds, roughly ([\d,]+) more units per arm would clear it\.$/.exec(strict.reasons[2])![1].replace(/,/g, ''));
    const half = strict.primary[0].relative.estimate - strict.primary[0].relative.ci[0];
    expect(more).toBe(Math.ceil(1000 * (half / (strict.primary[0].relative.estimate - 0.3)) ** 2) - 1000);
    expect((await decision(key, '?minDays=0&minLift=0.1')).decision).toBe('ship');
  });
});

describe('rollback', () => {
  test('a guardrail harm (events of another stream) blocks a significant primary win', async () => {
    const key = await running({ metrics: [{ key: 'purchase', type: 'binary', role: 'primary' }, GUARDRAIL] });
    const units = await seed(world, key, win);
    const unsubscribes = [...units.control.slice(0, 20), ...units.personalized.slice(0, 80)].map((u) => conversion(u, 'unsubscribe', new Date(Date.now() + 2000).toISOString()));
    await send(world, unsubscribes);
    const d = await decision(key, '?minDays=0');
    expect(d).toMatchObject({ decision: 'rollback', variant: 'personalized' });
    expect(d.reasons[0]).toMatch(/^Guardrail unsubscribe moved the wrong way for personalized: \+300\.0 % .* unsubscribe should decrease\.$/);
    expect(d.guardrails[0]).toMatchObject({ significant: true, better: false });
  });
});

describe('the default sequential analysis', () => {
  test('sequential (the default): ships only when the always-valid p-value is below alpha', async () => {
    // +48 %, 1,000 units per arm, planned 2,000 in all (N* = N): z = 3.27, always-valid p = 0.026.
    const strong = { control: { units: 1000, converters: 100 }, personalized: { units: 1000, converters: 148 } };
    const key = await running({ analysis: 'sequential', plannedSampleSize: 2000 });
    await seed(world, key, strong);
    const d = await decision(key, '?minDays=0');
    const results = (await world.api.get(`/v1/experiments/${key}/results?metric=purchase`).set(bearer(await world.key('read'))).expect(200)).body;
    const c = results.metrics[0].overall.comparisons[0];
    expect(results.analysis).toBe('sequential');
    expect(c.pValueAdjusted).toBeLessThan(0.05);
    expect(d).toMatchObject({ decision: 'ship', analysis: 'sequential' });
    expect(d.primary[0].pValueAdjusted).toBe(c.pValueAdjusted);
    // The same data read with a fixed horizon claims more certainty.
    const fixedKey = await running({ analysis: 'fixed' });
    await seed(world, fixedKey, strong);
    expect((await decision(fixedKey, '?minDays=0')).primary[0].pValueAdjusted).toBeLessThan(c.pValueAdjusted);
  });
});

describe('options', () => {
  test('?metric= decides on another metric; an unknown one is a 400', async () => {
    const key = await running({ metrics: [{ key: 'purchase', type: 'binary', role: 'primary' }, { key: 'signup', type: 'binary' }] });
    await seed(world, key, { control: { units: 1000, converters: 100, event: 'signup' }, personalized: { units: 1000, converters: 145, event: 'signup' } });
    expect((await decision(key, '?minDays=0')).decision).toBe('invalid'); // no purchases at all
    expect((await decision(key, '?minDays=0&metric=signup')).decision).toBe('ship');
    const bad = await world.api.get(`/v1/experiments/${key}/decision?metric=nope`).set(admin).expect(400);
    expect(bad.body.errors[0].field).toBe('query.metric');
    await world.api.get(`/v1/experiments/${key}/decision?minDays=-1`).set(admin).expect(400);
  });
});

test('numeric query parameters out of their documented bounds are 400s naming the parameter, never a broken answer', async () => {
  const key = await running();
  const cases: [string, string][] = [
    ['minDays=Infinity', 'query.minDays'],
    ['minDays=-Infinity', 'query.minDays'],
    ['minDays=1e400', 'query.minDays'],
    ['minDays=NaN', 'query.minDays'],
    ['minDays=3651', 'query.minDays'],
    ['minLift=1e400', 'query.minLift'],
    ['minLift=Infinity', 'query.minLift'],
    ['minLift=11', 'query.minLift'],
    ['minLift=0x10', 'query.minLift'],
  ];
  for (const [query, field] of cases) {
    const res = await world.api.get(`/v1/experiments/${key}/decision?${query}`).set(admin);
    expect([query, res.status]).toEqual([query, 400]);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
  }
  for (const query of ['limit=Infinity', 'limit=1e400', 'limit=0x10', 'limit=501', 'limit=0']) {
    const res = await world.api.get(`/v1/experiments?${query}`).set(admin);
    expect([query, res.status]).toEqual([query, 400]);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['query.limit']);
  }
});
