import { parse as parseCsv } from '../helpers/csv';
import { runExperiment } from '../helpers/experiments';
import { uniqueKey } from '../helpers/fixtures';
import type { ArmPlan } from '../helpers/seed';
import { bearer, useWorld } from '../helpers/world';

/** The tactic scorecard (win rates overall and per segment, pooled lift) and the CSV exports. */
const world = useWorld();
let read: Record<string, string>;
beforeAll(async () => {
  read = bearer(await world.key('read'));
});

const experimentWith = (tactic: string, plan: Record<string, ArmPlan>, options: { segments?: string[]; days?: number; complete?: boolean } = {}) =>
  runExperiment(world, { tactic, segments: options.segments ?? [], analysis: 'fixed' }, { ...options, plan });

const lifecycle = (i: number) => ({ lifecycle: i % 2 === 0 ? 'returning' : 'new' });

describe('scorecard', () => {
  const tactic = uniqueKey('reco');
  const keys: Record<string, string> = {};
  // Per experiment (control converters, treatment converters) of 1000 units each, for the pooled check.
  const arms: Record<string, [number, number]> = { win: [100, 145], loss: [160, 100], flat: [120, 124], running: [100, 104] };

  beforeAll(async () => {
    // A win (+45 %, below the ±50 % held back as suspicious) that works for returning customers only: 50/500 vs 95/522 returning, 50/500 vs 50/478 new.
    keys.win = await experimentWith(
      tactic,
      {
        control: { units: 1000, converters: 100, attributes: lifecycle },
        personalized: { units: 1000, converters: 145, attributes: (i) => ({ lifecycle: i < 95 ? 'returning' : i < 145 ? 'new' : i % 2 === 0 ? 'returning' : 'new' }) },
      },
      { segments: ['lifecycle'], days: 10, complete: true },
    );
    keys.loss = await experimentWith(tactic, { control: { units: 1000, converters: 160 }, personalized: { units: 1000, converters: 100 } }, { days: 10 });
    keys.flat = await experimentWith(
      tactic,
      { control: { units: 1000, converters: 120, attributes: lifecycle }, personalized: { units: 1000, converters: 124, attributes: lifecycle } },
      { segments: ['lifecycle'], days: 10, complete: true },
    );
    keys.running = await experimentWith(tactic, { control: { units: 1000, converters: 100 }, personalized: { units: 1000, converters: 104 } }, { days: 2 });
    // A sample ratio mismatch overall (800 vs 500), yet a balanced returning segment (300 vs 300)
    // with a significant win (30 vs 60 converters): invalid overall, so counted in no segment.
    const firstReturning = (i: number) => ({ lifecycle: i < 300 ? 'returning' : 'new' });
    keys.invalid = await experimentWith(
      tactic,
      { control: { units: 800, converters: 30, attributes: firstReturning }, personalized: { units: 500, converters: 60, attributes: firstReturning } },
      { segments: ['lifecycle'], days: 10 },
    );
  });

  test('GET /v1/tactics lists the tactic with its experiments per status', async () => {
    const res = await world.api.get('/v1/tactics').set(read).expect(200);
    expect(res.body.items.find((t: { tactic: string }) => t.tactic === tactic)).toEqual({ tactic, experiments: 5, byStatus: { completed: 2, running: 3 } });
  });

  test('win rate: ship = win, rollback = loss, completed without either = inconclusive; running continue and invalid listed, not counted', async () => {
    const card = (await world.api.get(`/v1/tactics/${tactic}`).set(read).expect(200)).body;
    expect(card.metrics).toHaveLength(1);
    const m = card.metrics[0];
    expect(m.metric).toBe('purchase');
    const outcome = Object.fromEntries(m.experiments.map((e: { key: string; decision: string; outcome: string | null; counted: boolean }) => [e.key, [e.decision, e.outcome, e.counted]]));
    expect(outcome).toEqual({
      [keys.win]: ['ship', 'win', true],
      [keys.loss]: ['rollback', 'loss', true],
      [keys.flat]: ['continue', 'inconclusive', true],
      [keys.running]: ['continue', null, false],
      [keys.invalid]: ['invalid', null, false],
    });
    expect(m.winRate).toEqual({ wins: 1, losses: 1, inconclusive: 1, rate: 1 / 3 });
  });

  test('per segment, across experiments: the tactic wins for returning customers, not for new ones; invalid experiments count nowhere', async () => {
    const m = (await world.api.get(`/v1/tactics/${tactic}`).set(read).expect(200)).body.metrics[0];
    // new: the win's new segment (50 vs 50) and the flat experiment are inconclusive;
    // returning: one win, one inconclusive. The invalid experiment is listed but not counted.
    expect(m.segments.map(({ pooled, ...rate }: { pooled: unknown }) => rate)).toEqual([
      { attribute: 'lifecycle', value: 'new', experiments: 3, wins: 0, losses: 0, inconclusive: 2, rate: 0 },
      { attribute: 'lifecycle', value: 'returning', experiments: 3, wins: 1, losses: 0, inconclusive: 1, rate: 0.5 },
    ]);
    // The invalid experiment's returning segment alone would have looked like a win.
    const r = (await world.api.get(`/v1/experiments/${keys.invalid}/results?segment=lifecycle`).set(read).expect(200)).body;
    const returning = r.metrics[0].segments.find((b: { value: string }) => b.value === 'returning');
    expect(returning.srm.mismatch).toBe(false);
    expect(returning.comparisons[0]).toMatchObject({ significant: true, better: true });
  });

  test('pooled lift: fixed effect and DerSimonian-Laird with I², as computed by hand', async () => {
    // By default only the completed experiments (win, flat) are pooled; ?include=running adds loss and running.
    expect((await world.api.get(`/v1/tactics/${tactic}`).set(read).expect(200)).body.metrics[0].pooled).toMatchObject({ experiments: 2, provisional: false });
    const m = (await world.api.get(`/v1/tactics/${tactic}?include=running`).set(read).expect(200)).body.metrics[0];
    expect(m.pooled).toMatchObject({ provisional: true, running: 2, intervalType: 'fixed' });
    // yi = ln(pT/pC), vi = (1 - pT)/(n pT) + (1 - pC)/(n pC): the delta method for a log ratio of proportions.
    const effects = Object.values(arms).map(([c, t]) => {
      const pc = c / 1000;
      const pt = t / 1000;
      return { y: Math.log(pt / pc), v: (1 - pt) / (1000 * pt) + (1 - pc) / (1000 * pc) };
    });
    const w = effects.map((e) => 1 / e.v);
    const sw = w.reduce((a, b) => a + b, 0);
    const fixed = effects.reduce((a, e, i) => a + w[i] * e.y, 0) / sw;
    const q = effects.reduce((a, e, i) => a + w[i] * (e.y - fixed) ** 2, 0);
    const df = effects.length - 1;
    const tau2 = Math.max(0, (q - df) / (sw - w.reduce((a, b) => a + b * b, 0) / sw));
    const wr = effects.map((e) => 1 / (e.v + tau2));
    const random = effects.reduce((a, e, i) => a + wr[i] * e.y, 0) / wr.reduce((a, b) => a + b, 0);
    const seRandom = 1 / Math.sqrt(wr.reduce((a, b) => a + b, 0));
    const i2 = Math.max(0, (q - df) / q);

    expect(m.pooled.experiments).toBe(4); // the SRM experiment is left out
    expect(m.pooled.fixed.logEstimate).toBeCloseTo(fixed, 10);
    expect(m.pooled.fixed.se).toBeCloseTo(1 / Math.sqrt(sw), 10);
    expect(m.pooled.fixed.lift).toBeCloseTo(Math.expm1(fixed), 10);
    expect(m.pooled.q).toBeCloseTo(q, 8);
    expect(m.pooled.tau2).toBeCloseTo(tau2, 10);
    expect(m.pooled.i2).toBeCloseTo(i2, 10);
    expect(m.pooled.random.logEstimate).toBeCloseTo(random, 10);
    expect(m.pooled.random.ci[0]).toBeCloseTo(Math.expm1(random - 1.959963984540054 * seRandom), 8);
    expect(m.pooled.random.ci[1]).toBeCloseTo(Math.expm1(random + 1.959963984540054 * seRandom), 8);
    expect(m.pooled.i2).toBeGreaterThan(0.8); // the tactic works only sometimes
  });

  test('the scorecard as CSV', async () => {
    const res = await world.api.get(`/v1/tactics/${tactic}`).set(read).set('Accept', 'text/csv').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const lines = res.text.trim().split('\r\n').map((l) => l.split(','));
    const header = lines[0];
    const col = (row: string[], name: string) => row[header.indexOf(name)];
    const overall = lines.find((r) => col(r, 'row') === 'rate' && col(r, 'segment_attribute') === '')!;
    expect([col(overall, 'wins'), col(overall, 'losses'), col(overall, 'inconclusive'), col(overall, 'experiments')]).toEqual(['1', '1', '1', '5']);
    expect(lines.filter((r) => col(r, 'row') === 'experiment')).toHaveLength(5);
  });

  test('an unknown tactic is a 404', async () => {
    await world.api.get('/v1/tactics/no-such-tactic').set(read).expect(404);
  });
});

describe('results as CSV', () => {
  test('one row per metric x segment value x variant, with the numbers of the JSON', async () => {
    const key = await experimentWith(uniqueKey('csv'), {
      control: { units: 200, converters: 20, attributes: (i) => ({ lifecycle: i % 2 ? 'new' : '=cmd|calc' }) },
      personalized: { units: 200, converters: 35, attributes: (i) => ({ lifecycle: i % 2 ? 'new' : '=cmd|calc' }) },
    }, { segments: ['lifecycle'] });
    const json = (await world.api.get(`/v1/experiments/${key}/results`).set(read).expect(200)).body;
    const res = await world.api.get(`/v1/experiments/${key}/results`).set(read).set('Accept', 'text/csv').expect(200);
    expect(res.headers['content-disposition']).toMatch(/attachment; filename=".*-results\.csv"/);
    const [header, ...rows] = parseCsv(res.text);
    // 2 metrics x (overall + 2 segment values) x 2 variants, then per metric the 2 lifecycle values' "for whom"; each row as wide as the header
    expect(rows.filter((r) => r[0] === 'variant')).toHaveLength(2 * 3 * 2);
    expect(rows.filter((r) => r[0] === 'for_whom').map((r) => r[header.indexOf('segment_attribute')])).toEqual(['lifecycle', 'lifecycle', 'lifecycle', 'lifecycle']);
    expect(rows).toHaveLength(2 * 3 * 2 + 2 * 2);
    for (const r of rows) expect(r).toHaveLength(header.length);
    const row = (metric: string, segment: string, variant: string) =>
      rows.find((r) => r[header.indexOf('metric')] === metric && r[header.indexOf('segment_value')] === segment && r[header.indexOf('variant')] === variant)!;
    const treated = row('purchase', '', 'personalized');
    const c = json.metrics[0].overall.comparisons[0];
    expect(Number(treated[header.indexOf('p_value')])).toBe(c.pValue);
    expect(Number(treated[header.indexOf('relative_ci_low')])).toBe(c.relative.ci[0]);
    expect(treated[header.indexOf('significant')]).toBe(String(c.significant));
    expect(row('purchase', '', 'control')[header.indexOf('is_control')]).toBe('true');
    expect(treated[header.indexOf('is_control')]).toBe('false');
    expect(treated[header.indexOf('row')]).toBe('variant');
    // Metric- and experiment-level numbers too: power, the sample ratio check, the minimum data rule.
    const power = json.metrics[0].power;
    expect(Number(treated[header.indexOf('power_units_per_arm')])).toBe(power.unitsPerArm);
    expect(Number(treated[header.indexOf('power_more_units_per_arm')])).toBe(power.moreUnitsPerArm);
    expect(Number(treated[header.indexOf('srm_chi_square')])).toBe(json.metrics[0].overall.srm.chiSquare);
    expect(Number(treated[header.indexOf('min_units_per_arm')])).toBe(json.minimumData.unitsPerArm);
    // A segment value that a spreadsheet would run as a formula is neutralised.
    expect(row('purchase', "'=cmd|calc", 'control')).toBeDefined();
    await world.api.get(`/v1/experiments/${key}/results`).set(read).set('Accept', 'application/xml').expect(406);
  });
});
