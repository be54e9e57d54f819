import { execFile } from 'node:child_process';
import path from 'node:path';

/**
 * `npm run demo`'s flags (the built tool, as `npm run demo` runs it): its usage names the size
 * flag and the issue's full scale, and bad flags stop it with a message naming the flag before
 * any server starts. The run itself is test/demo/simulated-pipeline.test.ts (same runner and
 * summary, smaller scenario) and, at full size, BENCHMARKS.md.
 */
const TOOL = path.resolve('dist/src/cli/demo-tool.js');

function demo(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TOOL, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('--help names --customers, its default and the issue-scale run', async () => {
  const r = await demo('--help');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/--customers N\s+customers over the whole run \(default 30,000/);
  expect(r.stdout).toMatch(/--customers 200000/);
  expect(r.stdout).toMatch(/--keep/);
});

test.each([
  [['--customers', '0'], /--customers must be a positive integer, got "0"/],
  [['--customers', '10', '--visitors', '10'], /--customers and --visitors are the same: give one/],
  [['--days', 'two'], /--days must be a positive integer/],
  [['--url', 'http://127.0.0.1:9'], /--url needs --key/],
  [['--keep', '--url', 'http://127.0.0.1:9', '--key', 'k'], /--keep is for the embedded service/],
])('%j is refused, naming the flag', async (args, message) => {
  const r = await demo(...args);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
});
