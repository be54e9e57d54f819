import { assign, compile } from '../../src/assignment';
import type { AssignRequest, AssignResponse } from '../../src/serving/assigner';
import type { ExperimentUpdate } from '../../src/model/experiment';
import { toAssignable } from '../../src/serving/registry';
import { createLogger } from '../../src/logger';
import { openRuntime, type Runtime } from '../../src/runtime';
import type { Db } from '../../src/store/db';
import { createMemoryCache } from '../../src/store/memory-cache';
import { unitIds } from '../helpers/assign';
import { experimentBody } from '../helpers/fixtures';
import { useWorld } from '../helpers/world';

/**
 * Monotone ramps and sticky assignment proven over 100,000 units on the running service:
 * the runtime the server answers /v1/assign with (world.rt), driven in process. Changes go
 * through the experiment service and reach the in-memory registry as a PATCH does; first
 * exposures go through the batched queue into the database and the cache (Redis on that
 * backend); a second runtime on the same storage stands for a restarted instance.
 * 100,000 HTTP calls per step would take minutes: the HTTP path itself is proven end to end
 * on smaller samples in assign-properties.test.ts, the pure engine in
 * test/assignment/rollout.property.test.ts. Fixed salts and unit seeds: the shares checked
 * are the same on every run.
 */
jest.setTimeout(600_000);

const N = 100_000;
type Answer = AssignResponse['assignments'][number];

const world = useWorld({ holdoutShare: 0.05, exposureFlushMs: 100 });

/** One experiment's answer for each unit, from this runtime's assigner, a chunk of requests at a time. */
async function answers(rt: Runtime, key: string, units: readonly string[], extra: Partial<AssignRequest> = {}): Promise<Answer[]> {
  const out: Answer[] = new Array(units.length);
  const CHUNK = 2000;
  for (let i = 0; i < units.length; i += CHUNK) {
    await Promise.all(
      units.slice(i, i + CHUNK).map(async (unitId, j) => {
        out[i + j] = (await rt.assigner.assign({ unitId, experiments: [key], ...extra })).assignments[0];
      }),
    );
  }
  return out;
}

async function running(overrides: Parameters<typeof experimentBody>[0]): Promise<string> {
  const body = experimentBody({ respectsHoldout: false, ...overrides });
  await world.rt.experiments.create('test', body);
  await world.rt.experiments.transition('test', body.key, 'start');
  return body.key;
}

const setCoverage = (key: string, coverage: number, more: ExperimentUpdate = {}) => world.rt.experiments.update('test', key, { coverage, ...more });

/** Units whose answer breaks the documented algorithm for the experiment as it is now defined. */
async function offAlgorithm(key: string, units: readonly string[], got: readonly Answer[]): Promise<string[]> {
  const engine = compile(toAssignable(await world.rt.experiments.get(key)));
  return units.filter((unitId, i) => assign({ unitId }, engine).variant !== got[i].variant);
}

const threeWay = [
  { key: 'control', name: 'Control', weight: 1, control: true },
  { key: 'reco-a', name: 'Reco A', weight: 2 },
  { key: 'reco-b', name: 'Reco B', weight: 3 },
];

test('ramps are monotone over 100,000 units: raising coverage only adds units, lowering it only removes them; nobody changes variant', async () => {
  const units = unitIds(N, 101);
  const key = await running({ variants: threeWay, coverage: 0.3, salt: 'service-ramp' });
  const share = (xs: Answer[]) => xs.filter((a) => a.inExperiment).length / N;

  const at30 = await answers(world.rt, key, units, { track: false });
  await setCoverage(key, 0.6);
  const at60 = await answers(world.rt, key, units, { track: false });
  await setCoverage(key, 0.2);
  const at20 = await answers(world.rt, key, units, { track: false });
  expect([share(at30), share(at60), share(at20)].map((s) => Math.round(s * 100) / 100)).toEqual([0.3, 0.6, 0.2]);
  expect(await offAlgorithm(key, units, at20)).toEqual([]);

  // Raising 0.3 -> 0.6: everyone in stays in, in the same variant; some join.
  const raise = { lost: 0, moved: 0, joined: 0 };
  // Lowering 0.6 -> 0.2: nobody joins; whoever stays keeps the variant; the others leave for "coverage".
  const lower = { joined: 0, moved: 0, left: 0, leftOtherwise: 0 };
  for (let i = 0; i < N; i++) {
    const [a, b, c] = [at30[i], at60[i], at20[i]];
    if (a.inExperiment && !b.inExperiment) raise.lost++;
    if (a.inExperiment && b.variant !== a.variant) raise.moved++;
    if (!a.inExperiment && b.inExperiment) raise.joined++;
    if (c.inExperiment && !b.inExperiment) lower.joined++;
    if (c.inExperiment && c.variant !== b.variant) lower.moved++;
    if (b.inExperiment && !c.inExperiment) {
      lower.left++;
      if (c.reason !== 'coverage' || c.variant !== 'control') lower.leftOtherwise++;
    }
  }
  expect(raise).toEqual({ lost: 0, moved: 0, joined: expect.any(Number) });
  expect(lower).toEqual({ joined: 0, moved: 0, left: expect.any(Number), leftOtherwise: 0 });
  expect(raise.joined / N).toBeCloseTo(0.3, 1);
  expect(lower.left / N).toBeCloseTo(0.4, 1);
});

describe('sticky over 100,000 units', () => {
  const units = unitIds(N, 202);
  const desktop = { device: 'desktop' };
  let key: string;
  let exposed: Answer[];
  let after: Answer[];

  test('once exposed, a unit keeps its variant after coverage is lowered and targeting changed; new units follow the new definition', async () => {
    key = await running({ variants: threeWay, coverage: 0.6, respectsHoldout: true, salt: 'service-sticky' });
    exposed = await answers(world.rt, key, units, { attributes: desktop });
    await world.rt.exposures.flush();
    expect(world.rt.exposures.pending()).toBe(0);
    const bucketed = exposed.filter((a) => a.inExperiment).length;
    const heldOut = exposed.filter((a) => a.reason === 'holdout').length;
    expect(bucketed / N).toBeCloseTo(0.6 * 0.95, 1);
    expect(heldOut).toBeGreaterThan(0);

    // Every first exposure was written once, in its variant (holdout units as holdout).
    const id = world.rt.registry.get(key)!.row.id;
    const { rows } = await world.rt.db.query<{ variant: string; holdout: boolean; n: number }>(
      'SELECT variant, holdout, count(*)::int AS n FROM exposures WHERE experiment_id = $1 GROUP BY variant, holdout ORDER BY variant, holdout',
      [id],
    );
    const expected = new Map<string, number>();
    for (const a of exposed) if (a.reason === 'bucketed' || a.reason === 'holdout') {
      const k = `${a.variant}|${a.reason === 'holdout'}`;
      expected.set(k, (expected.get(k) ?? 0) + 1);
    }
    expect(Object.fromEntries(rows.map((r) => [`${r.variant}|${r.holdout}`, r.n]))).toEqual(Object.fromEntries(expected));

    // Ramp down to 10 % and target only mobile: without the record, every desktop unit would leave.
    await setCoverage(key, 0.1, { targeting: { attribute: 'device', op: 'eq', value: 'mobile' } });
    after = await answers(world.rt, key, units, { attributes: desktop, track: false });
    const outcome = { kept: 0, changed: 0, heldOutStillOut: 0, othersIn: 0 };
    exposed.forEach((a, i) => {
      const now = after[i];
      if (a.inExperiment) {
        if (now.inExperiment && now.reason === 'bucketed' && now.variant === a.variant) outcome.kept++;
        else outcome.changed++;
      } else if (a.reason === 'holdout') {
        if (!now.inExperiment && now.variant === 'control') outcome.heldOutStillOut++;
      } else if (now.inExperiment) outcome.othersIn++;
    });
    expect(outcome).toEqual({ kept: bucketed, changed: 0, heldOutStillOut: heldOut, othersIn: 0 });

    // Units never exposed follow the new definition: desktop is not targeted, mobile gets 10 % (less the holdout).
    const fresh = unitIds(10_000, 203);
    const freshDesktop = await answers(world.rt, key, fresh, { attributes: desktop, track: false });
    expect(freshDesktop.filter((a) => a.reason !== 'not_targeted')).toEqual([]);
    const freshMobile = await answers(world.rt, key, fresh, { attributes: { device: 'mobile' }, track: false });
    expect(freshMobile.filter((a) => a.inExperiment).length / fresh.length).toBeCloseTo(0.1 * 0.95, 1);
  });

  test('a restarted instance gives all 100,000 units the same answers: sticky units stay sticky', async () => {
    expect(after).toHaveLength(N);
    const logger = createLogger('silent');
    // The same storage as the first instance; a new process has only what the database and Redis hold.
    let restarted: Runtime;
    if (world.rt.db.backend === 'pglite') {
      const shared = world.rt.db;
      const db: Db = {
        backend: shared.backend,
        query: (sql, params) => shared.query(sql, params),
        exec: (sql) => shared.exec(sql),
        transaction: (fn) => shared.transaction(fn),
        close: async () => undefined,
      };
      restarted = await openRuntime(world.rt.config, logger, { db, cache: createMemoryCache() });
    } else {
      restarted = await openRuntime(world.rt.config, logger);
    }
    try {
      const again = await answers(restarted, key, units, { attributes: desktop, track: false });
      const differ = units.filter((_, i) => JSON.stringify(again[i]) !== JSON.stringify(after[i]));
      expect(differ).toEqual([]);
    } finally {
      await restarted.close();
    }
  });
});
