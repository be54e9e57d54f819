import { ab, baseline as bakeryBaseline, POPULATION } from '../../src/demo/bakery';
import { readReport, type Report } from '../../src/demo/report';
import { runScenario, type RunResult } from '../../src/demo/runner';
import { storefrontBehaviour, trueLift, purchaseRate, type Attributes, type Behaviour, type Scenario, type SimulatedExperiment } from '../../src/demo/simulator';
import { forWhom, summaryLines } from '../../src/demo/summary';
import { useWorld } from '../helpers/world';

/**
 * The whole pipeline against a truth it was given: a small storefront simulated through the
 * public HTTP API on the demo clock (the simulator of `npm run demo`, fewer customers who buy
 * more often so the test stays fast), then the decisions read back and checked against the
 * effects planted: the overall win ships and its interval holds the true lift, the harmful
 * tactic rolls back, the segment-only tactic gets a segment decision (roll out to returning
 * customers only), the A/A ships nowhere, the tracking bug is caught by the sample ratio
 * check, and the multivariate test finds its winning factor. The planted lifts are ones a
 * storefront sees (+20 % to +45 %), below the +50 % that holds a small experiment's ship back
 * as suspicious, so no decision is invalid by accident, only the planted one.
 */
const VISITORS = 4000;
const DAYS = 8;
const layerless = (x: ReturnType<typeof ab>) => ({ ...x, layer: undefined, plannedSampleSize: VISITORS });
/** The bakery's customers, buying three times as often (power from fewer customers). */
const baseline = (a: Attributes): Behaviour => {
  const b = bakeryBaseline(a);
  return { ...b, bounce: b.bounce / 2, purchase: Math.min(0.6, b.purchase * 3), unsubscribe: 0.02 };
};

const experiments: SimulatedExperiment[] = [
  { definition: layerless(ab('sim-win', 'sim-reco', 'Wins overall', '', { key: 'l', start: 0, end: 1 }, 0)), effect: (v) => (v === 'control' ? {} : { purchase: 0.3 }) },
  {
    definition: layerless(ab('sim-returning', 'sim-reco', 'Wins for returning customers only', '', { key: 'l', start: 0, end: 1 }, 0)),
    effect: (v, a) => (v !== 'control' && a.lifecycle === 'returning' ? { purchase: 0.45 } : {}),
  },
  {
    definition: layerless(ab('sim-harm', 'sim-email', 'Lifts conversion, raises unsubscribes', '', { key: 'l', start: 0, end: 1 }, 0)),
    effect: (v) => (v === 'control' ? {} : { purchase: 0.1, unsubscribe: 1.5 }),
  },
  { definition: layerless(ab('sim-aa', 'sim-email', 'No effect', '', { key: 'l', start: 0, end: 1 }, 0)), effect: () => ({}) },
  {
    definition: {
      ...layerless(ab('sim-srm', 'sim-loyalty', 'Exposures lost in one arm', '', { key: 'l', start: 0, end: 1 }, 0)),
      targeting: { attribute: 'lifecycle', op: 'in', value: ['returning', 'loyal'] },
    },
    effect: () => ({}),
    exposure: { via: 'email', eligible: (a) => a.lifecycle !== 'new', lost: (v, a, r) => v === 'personalized' && a.device === 'mobile' && r() < 0.33 },
  },
  {
    definition: {
      key: 'sim-mvt',
      name: 'headline x image x offer',
      tactic: 'sim-landing',
      factors: [
        { key: 'headline', levels: [{ key: 'classic' }, { key: 'local' }] },
        { key: 'image', levels: [{ key: 'product' }, { key: 'bakers' }] },
        { key: 'offer', levels: [{ key: 'none' }, { key: 'free-delivery' }] },
      ],
      metrics: [{ key: 'purchase', type: 'binary', role: 'primary' }],
      segments: [],
      plannedSampleSize: VISITORS,
    },
    effect: (v) => (v.endsWith('.free-delivery') ? { purchase: 0.3 } : {}),
  },
];

const scenario: Scenario = {
  name: 'Pipeline test',
  seed: 17,
  days: DAYS,
  visitors: VISITORS,
  population: POPULATION,
  experiments,
  behave: storefrontBehaviour(baseline, experiments),
};

const world = useWorld({ demoClock: true });
let run: RunResult;
let report: Report;
const of = (key: string) => report.experiments.find((e) => e.key === key)!;

beforeAll(async () => {
  run = await runScenario({ url: world.url, adminKey: world.adminKey }, scenario, { concurrency: 16 });
  report = await readReport(world.url, run.readKey, scenario);
}, 300_000);

test('every visit went through the API and the experiments ran for the simulated days', () => {
  expect(run.visitors).toBe(VISITORS);
  expect(run.events).toBeGreaterThan(VISITORS * 2);
  for (const e of report.experiments) {
    expect({ key: e.key, days: Math.floor(e.decision.daysRunning) }).toEqual({ key: e.key, days: DAYS });
  }
});

test('the overall win ships, and its interval holds the true lift', () => {
  const d = of('sim-win').decision;
  expect(d.decision).toBe('ship');
  expect(d.variant).toBe('personalized');
  const truth = trueLift(scenario, experiments[0], 'personalized', purchaseRate(baseline));
  const ci = d.primary[0].relative.ci!;
  expect(ci[0]).toBeLessThan(truth);
  expect(ci[1]).toBeGreaterThan(truth);
});

test('the harmful tactic gets rollback, for the guardrail it broke', () => {
  const d = of('sim-harm').decision;
  expect(d.decision).toBe('rollback');
  const unsubscribe = d.guardrails.find((g) => g.metric === 'unsubscribe')!;
  expect(unsubscribe).toMatchObject({ significant: true, better: false });
  expect(d.reasons.join(' ')).toMatch(/unsubscribe/);
});

test('the segment-only tactic gets a segment decision: roll out to returning customers, nowhere else', () => {
  const e = of('sim-returning');
  const truth = (lifecycle: string) => trueLift(scenario, experiments[1], 'personalized', purchaseRate(baseline), (a) => a.lifecycle === lifecycle);
  expect(truth('new')).toBe(0);
  expect(truth('returning')).toBeGreaterThan(0.3);
  expect(e.decision.decision).not.toBe('invalid');
  expect(e.decision.segments).toMatchObject({ attribute: 'lifecycle', variant: 'personalized', ship_to: ['returning'] });
  expect(e.decision.reasons.join(' ')).toMatch(/differs by lifecycle/);
  const highlights = forWhom(e.decision);
  expect(highlights.filter((h) => h.verdict === 'ship_to').map((h) => h.value)).toEqual(['returning']);
  // Its shrunk lift there is near the truth, not the pooled one.
  const returning = e.decision.segments!.values.find((v) => v.value === 'returning')!;
  expect(returning.shrunk!.ci![0]).toBeLessThan(truth('returning'));
  expect(returning.shrunk!.ci![1]).toBeGreaterThan(truth('returning'));
});

test('the A/A ships nowhere: not overall, not in any segment', () => {
  const e = of('sim-aa');
  expect(e.decision.decision).not.toBe('ship');
  expect(e.decision.decision).not.toBe('invalid');
  expect(e.decision.segments?.ship_to ?? []).toEqual([]);
});

test('the planted tracking bug is caught by the sample ratio check', () => {
  const d = of('sim-srm').decision;
  expect(d.srm.mismatch).toBe(true);
  expect(d.decision).toBe('invalid');
  expect(d.segments).toBeNull();
  expect(forWhom(d)).toEqual([]);
});

test('the multivariate experiment finds its winning factor', () => {
  const metric = of('sim-mvt').results.metrics[0];
  const effects = (metric.factors ?? []).map((f) => ({ level: `${f.factors.join('x')}=${f.levels.join('.')}`, significant: f.pValue !== null && f.pValue < 0.05, estimate: f.estimate }));
  expect(effects.find((f) => f.level === 'offer=free-delivery')).toMatchObject({ significant: true, estimate: expect.any(Number) });
  expect(effects.find((f) => f.level === 'offer=free-delivery')!.estimate!).toBeGreaterThan(0);
  expect(effects.filter((f) => f.level !== 'offer=free-delivery' && f.significant)).toEqual([]);
});

test('nothing else is held back: the only invalid decision is the planted tracking bug', () => {
  expect(report.experiments.filter((e) => e.decision.decision === 'invalid').map((e) => e.key)).toEqual(['sim-srm']);
  for (const e of report.experiments) expect({ key: e.key, heldBack: e.decision.reasons.filter((r) => r.startsWith('Held back')) }).toEqual({ key: e.key, heldBack: [] });
});

test('the summary shows each tactic and each experiment with its decision', () => {
  const lines = summaryLines(report);
  for (const t of ['sim-reco', 'sim-email', 'sim-loyalty', 'sim-landing']) expect(lines.some((l) => l.startsWith(t))).toBe(true);
  expect(lines.find((l) => l.includes('sim-harm'))).toMatch(/rollback/);
  expect(lines.find((l) => l.includes('sim-returning'))).toMatch(/lifecycle: only returning \+\d+ %/);
  expect(lines.find((l) => l.includes('sim-srm'))).toMatch(/invalid .*do not trust the data/);
});
