import { coverageScenario } from '../../src/demo/coverage';
import { runScenario } from '../../src/demo/runner';
import { bearer, useWorld } from '../helpers/world';

/**
 * Interval coverage through the whole pipeline: many simulated experiments with known true
 * lifts (fixed seeds), run through the HTTP API, and the share of reported 95 % intervals that
 * hold the truth compared with 95 % minus the binomial margin (2.576 standard errors, so a
 * correct implementation fails it about once in 200 seeds; the seed is fixed). A small
 * configuration; the full-size run is `npm run bench:coverage` (BENCHMARKS.md).
 */
const K = 45;
const scenario = coverageScenario({ experiments: K, visitors: 1000, seed: 1717, analysis: 'fixed' });
const world = useWorld({ demoClock: true });

type Comparison = { relative: { ci: [number, number] | null }; absolute: { ci: [number, number] | null }; enoughData: boolean };
type Arm = { variant: string; value: number | null };

test('the true lift lies inside the reported 95 % interval at the promised rate', async () => {
  const run = await runScenario({ url: world.url, adminKey: world.adminKey }, scenario, { concurrency: 16 });
  const read = bearer(run.readKey);
  let relative = 0;
  let absolute = 0;
  let large = 0;
  let detected = 0;
  for (const [key, lift] of Object.entries(scenario.truth)) {
    const res = await world.api.get(`/v1/experiments/${key}/results`).set(read).expect(200);
    const overall = res.body.metrics[0].overall as { comparisons: Comparison[]; variants: Arm[] };
    const c = overall.comparisons[0];
    expect(c.enoughData).toBe(true);
    const [lo, hi] = c.relative.ci!;
    if (lo <= lift && lift <= hi) relative++;
    const [alo, ahi] = c.absolute.ci!;
    if (alo <= 0.2 * lift && 0.2 * lift <= ahi) absolute++;
    if (Math.abs(lift) >= 0.25) {
      large++;
      if (lo > 0 || hi < 0) detected++;
    }
  }
  const floor = 0.95 - 2.576 * Math.sqrt((0.95 * 0.05) / K);
  expect(relative / K).toBeGreaterThanOrEqual(floor);
  expect(absolute / K).toBeGreaterThanOrEqual(floor);
  // Not vacuous: the intervals are narrow enough to exclude a wrong value (zero, for most lifts of 25 % or more).
  expect(large).toBeGreaterThan(5);
  expect(detected / large).toBeGreaterThan(0.6);
}, 300_000);
