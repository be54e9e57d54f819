import { execFile } from 'node:child_process';
import path from 'node:path';
import type { components } from '../../src/contract/schema';
import { run as check, segmentAwareCode } from '../../src/cli/verdict/check-command';
import { run as results } from '../../src/cli/verdict/results-command';
import { runExperiment } from '../helpers/experiments';
import { segmentedArm } from '../helpers/seed';
import { useWorld } from '../helpers/world';

/**
 * `verdict check --segment-aware` and the segment lines of `check` and `results`. One
 * experiment whose lift differs by lifecycle, checked in process (the commands' run(), which
 * the binary calls) and once through the real binary for its exit code; the exit-code rule on
 * literal decisions.
 */
type Decision = components['schemas']['Decision'];
const BIN = path.resolve('bin/verdict.js');
const world = useWorld();
let conn: string[];
let key: string;

beforeAll(async () => {
  conn = ['--url', world.url, '--key', await world.key('read')];
  key = await runExperiment(
    world,
    { segments: ['lifecycle'], analysis: 'fixed', metrics: [{ key: 'purchase', type: 'binary', role: 'primary' }] },
    {
      days: 8,
      plan: {
        control: segmentedArm([
          { attributes: { lifecycle: 'returning' }, units: 400, converters: 40 },
          { attributes: { lifecycle: 'new' }, units: 600, converters: 60 },
        ]),
        personalized: segmentedArm([
          { attributes: { lifecycle: 'returning' }, units: 400, converters: 100 },
          { attributes: { lifecycle: 'new' }, units: 600, converters: 54 },
        ]),
      },
    },
  );
});

/** A command's run() with its stdout captured. */
async function inProcess(run: (args: string[]) => Promise<number>, args: string[]): Promise<{ code: number; stdout: string }> {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    return { code: await run([...args, ...conn]), stdout: chunks.join('') };
  } finally {
    spy.mockRestore();
  }
}

test('check prints where to roll out; --segment-aware exits 0 for the rollout that lists its segments (the real binary)', async () => {
  const text = await inProcess(check, [key, '--acknowledge', 'suspicious_lift']);
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(/ {2}segments \(personalized by lifecycle, Q adjusted p < 0\.0001, holm\):\n {4}ship to: {3}returning\n {4}exclude: {3}none\n {4}undecided: new\n/);
  const md = await inProcess(check, [key, '--acknowledge', 'suspicious_lift', '--format', 'markdown']);
  expect(md.stdout).toMatch(/\*\*Segments\*\* \(lifecycle\): ship to returning; exclude none/);

  const code = await new Promise<number>((resolve) =>
    execFile(process.execPath, [BIN, 'check', key, '--acknowledge', 'suspicious_lift', '--segment-aware', ...conn], { env: { PATH: process.env.PATH }, timeout: 30_000 }, (err) =>
      resolve(err ? ((err as { code?: number }).code ?? -1) : 0),
    ),
  );
  expect(code).toBe(0);
  // Before the minimum days the segment rollout is not ready: the decision's own code (continue).
  expect((await inProcess(check, [key, '--acknowledge', 'suspicious_lift', '--segment-aware', '--min-days', '30'])).code).toBe(1);
});

test('results prints the for-whom sentence per attribute', async () => {
  const r = await inProcess(results, [key]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/ {2}for whom \(lifecycle\): The lift differs by lifecycle: returning \+150\.0 % \(shrunk \+\d+\.\d %\), new −10\.0 %/);
});

describe('the --segment-aware exit code', () => {
  const base = { decision: 'ship', daysRunning: 10, minDays: 7, segments: null } as unknown as Decision;
  const segments = (shipTo: string[]) => ({ attribute: 'lifecycle', variant: 'personalized', metric: 'purchase', pValue: 0.001, pValueAdjusted: 0.002, correction: 'holm', ship_to: shipTo, exclude: [], undecided: [], values: [] }) as Decision['segments'];
  test.each([
    ['ship, the lift the same in every segment: everywhere', { ...base }, 0, 0],
    ['ship with segments to ship to', { ...base, segments: segments(['returning']) }, 0, 0],
    ['ship whose lift differs by segment but nowhere significantly better: continue', { ...base, segments: segments([]) }, 0, 1],
    ['continue overall, a segment to ship to: the targeted rollout', { ...base, decision: 'continue', segments: segments(['returning']) }, 1, 0],
    ['rollback overall (a segment harmed), another to ship to', { ...base, decision: 'rollback', segments: segments(['returning']) }, 2, 0],
    ['segments to ship to before the minimum days: the plain code', { ...base, decision: 'continue', daysRunning: 3, segments: segments(['returning']) }, 1, 1],
    ['continue without segments', { ...base, decision: 'continue' }, 1, 1],
    ['invalid', { ...base, decision: 'invalid' }, 3, 3],
  ] as const)('%s', (_, d, plain, expected) => {
    expect(segmentAwareCode(d as Decision, plain)).toBe(expected);
  });
});
