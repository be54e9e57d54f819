import type { ExperimentCreate } from '../../src/experiments/model';
import { backdateStart, DAY_MS, runExperiment } from '../helpers/experiments';
import { conversion, send } from '../helpers/events';
import { seed } from '../helpers/seed';
import { bearer, startWorld, type World } from '../helpers/world';

/** GET /v1/experiments/{key}/decision: every branch, each with data built to reach it. */
let world: World;
let admin: Record<string, string>;
beforeAll(async () => {
  world = await startWorld();
  admin = bearer(world.adminKey);
});
afterAll(() => world.close());

const GUARDRAIL = { key: 'unsubscribe', type: 'binary', role: 'guardrail', direction: 'decrease' } as const;

const running = (overrides: Partial<ExperimentCreate> = {}) => runExperiment(world, overrides);

async function decision(key: string, query = '') {
  return (await world.api.get(`/v1/experiments/${key}/decision${query}`).set(bearer(await world.key('read'))).expect(200)).body;
}

const ranFor = (key: string, days: number) => backdateStart(world, key, days * DAY_MS);

const win = { control: { units: 1000, converters: 100 }, personalized: { units: 1000, converters: 160 } };

describe('invalid: the data cannot carry a decision', () => {
  test('no exposures', async () => {
    const d = await decision(await running());
    expect(d).toMatchObject({ decision: 'invalid', variant: null });
    expect(d.reasons[0]).toMatch(/No exposures recorded/);
  });

  test('a sample ratio mismatch, even with a "significant" win', async () => {
    const key = await running();
    await seed(world, key, { control: { units: 700, converters: 60 }, personalized: { units: 500, converters: 90 } });
    const d = await decision(key, '?minDays=0');
    expect(d.decision).toBe('invalid');
    expect(d.reasons[0]).toMatch(/Sample ratio mismatch: units per variant are control 700 \(expected 50 %\), personalized 500 \(expected 50 %\), p (=|<) /);
    expect(d.srm.mismatch).toBe(true);
  });

  test('below the minimum data rule', async () => {
    const key = await running();
    await seed(world, key, { control: { units: 80, converters: 8 }, personalized: { units: 80, converters: 30 } });
    const d = await decision(key, '?minDays=0');
    expect(d.decision).toBe('invalid');
    expect(d.reasons[0]).toMatch(/Not enough data on purchase yet: at least 100 units in each/);
  });
});

describe('ship', () => {
  test('the primary metric significantly better, no guardrail harmed, minDays met', async () => {
    const key = await running({ metrics: [{ key: 'purchase', type: 'binary', role: 'primary' }, GUARDRAIL] });
    await seed(world, key, win);
    const d = await decision(key, '?minDays=0');
    expect(d).toMatchObject({ decision: 'ship', variant: 'personalized', metric: 'purchase', minDays: 0, minLift: null });
    expect(d.reasons[0]).toMatch(/^personalized raised purchase by \+60\.0 % \(95 % interval \+\d+\.\d % to \+\d+\.\d %\), adjusted p (< 0\.0001|= 0\.\d+) \(fixed analysis, alpha 0\.05\)\.$/);
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
    const strict = await decision(key, '?minDays=0&minLift=0.5');
    expect(strict.decision).toBe('continue');
    expect(strict.reasons[1]).toMatch(/does not yet clear the required minimum of \+50\.0 %/);
    expect((await decision(key, '?minDays=0&minLift=0.1')).decision).toBe('ship');
  });
});

describe('rollback', () => {
  test('a guardrail harm blocks a significant primary win', async () => {
    const key = await running({ metrics: [{ key: 'purchase', type: 'binary', role: 'primary' }, GUARDRAIL] });
    const units = await seed(world, key, win);
    const unsubscribes = [...units.control.slice(0, 20), ...units.personalized.slice(0, 80)].map((u) => conversion(u, 'unsubscribe', new Date(Date.now() + 2000).toISOString()));
    await send(world, unsubscribes);
    const d = await decision(key, '?minDays=0');
    expect(d).toMatchObject({ decision: 'rollback', variant: 'personalized' });
    expect(d.reasons[0]).toMatch(/^Guardrail unsubscribe moved the wrong way for personalized: \+300\.0 % .* unsubscribe should decrease\.$/);
    expect(d.reasons[1]).toMatch(/personalized did raise purchase .* but a guardrail harm outweighs it/);
    expect(d.guardrails[0]).toMatchObject({ significant: true, better: false });
  });

  test('the primary metric significantly worse', async () => {
    const key = await running();
    await seed(world, key, { control: { units: 1000, converters: 160 }, personalized: { units: 1000, converters: 100 } });
    const d = await decision(key, '?minDays=0');
    expect(d).toMatchObject({ decision: 'rollback', variant: 'personalized' });
    expect(d.reasons[0]).toMatch(/^personalized made purchase worse: -37\.5 %/);
  });
});

describe('continue', () => {
  test('no significant difference yet: says roughly how many more units it needs', async () => {
    const key = await running({ analysis: 'sequential' });
    await seed(world, key, { control: { units: 500, converters: 50 }, personalized: { units: 500, converters: 55 } });
    const d = await decision(key, '?minDays=0');
    expect(d.decision).toBe('continue');
    expect(d.reasons[0]).toMatch(/^No significant difference on purchase yet: personalized \+10\.0 %/);
    expect(d.reasons[1]).toMatch(/^Roughly [\d,]+ more units per arm are needed to detect a \+5 % lift with 80 % power\.$/);
    expect(d.power.moreUnitsPerArm).toBeGreaterThan(10_000);
  });

  test('?metric= decides on another metric; an unknown one is a 400', async () => {
    const key = await running({ metrics: [{ key: 'purchase', type: 'binary', role: 'primary' }, { key: 'signup', type: 'binary' }] });
    await seed(world, key, { control: { units: 1000, converters: 100, event: 'signup' }, personalized: { units: 1000, converters: 160, event: 'signup' } });
    expect((await decision(key, '?minDays=0')).decision).toBe('invalid'); // no purchases at all
    expect((await decision(key, '?minDays=0&metric=signup')).decision).toBe('ship');
    const bad = await world.api.get(`/v1/experiments/${key}/decision?metric=nope`).set(admin).expect(400);
    expect(bad.body.errors[0].field).toBe('query.metric');
    await world.api.get(`/v1/experiments/${key}/decision?minDays=-1`).set(admin).expect(400);
  });
});
