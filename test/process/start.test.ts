import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { experimentBody } from '../helpers/fixtures';
import { contractFetch } from '../helpers/world';

/**
 * `npm start` as a user runs it: the compiled server (dist/, built by `npm test`'s tsc step)
 * in its own process, on the embedded default, no DATABASE_URL or REDIS_URL.
 */
const MAIN = path.resolve('dist/src/main.js');

interface Proc {
  child: ChildProcess;
  stdout: () => string;
  port: Promise<number>;
  exited: Promise<number | null>;
}

function start(dataDir: string): Proc {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  delete env.VERDICT_ADMIN_KEY;
  const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let resolvePort: (p: number) => void;
  const port = new Promise<number>((r) => (resolvePort = r));
  child.stdout!.on('data', (chunk) => {
    out += chunk;
    const m = /"port":(\d+)/.exec(out);
    if (m) resolvePort(Number(m[1]));
  });
  child.stderr!.on('data', (chunk) => (out += chunk));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, stdout: () => out, port, exited };
}

async function waitFor(url: string, status = 200): Promise<void> {
  for (;;) {
    const got = await fetch(url).then((r) => r.status, () => 0);
    if (got === status) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

jest.setTimeout(300_000);

test('starts on the embedded default, prints an admin key once, keeps data across restarts, stops cleanly on SIGTERM', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'verdict-start-'));
  const first = start(dataDir);
  const port = await first.port;
  await waitFor(`http://127.0.0.1:${port}/healthz`);
  await waitFor(`http://127.0.0.1:${port}/readyz`);
  const key = /\b(vk_[A-Za-z0-9_-]{43})\b/.exec(first.stdout())?.[1];
  expect(key).toBeDefined();

  const body = experimentBody({ key: 'survives-restart' });
  const created = await contractFetch(`http://127.0.0.1:${port}/v1/experiments`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(created.status).toBe(201);

  first.child.kill('SIGTERM');
  expect(await first.exited).toBe(0);
  expect(first.stdout()).toContain('"msg":"stopped"');

  const second = start(dataDir);
  const port2 = await second.port;
  await waitFor(`http://127.0.0.1:${port2}/readyz`);
  expect(second.stdout()).not.toMatch(/vk_[A-Za-z0-9_-]{43}/);
  const read = await contractFetch(`http://127.0.0.1:${port2}/v1/experiments/survives-restart`, { headers: { Authorization: `Bearer ${key}` } });
  expect(read.status).toBe(200);
  expect(((await read.json()) as { name: string }).name).toBe(body.name);

  // A second process on the same data directory is refused instead of corrupting it.
  const intruder = start(dataDir);
  expect(await intruder.exited).toBe(1);
  expect(intruder.stdout()).toMatch(/in use by process/);

  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
});

test('a request in flight when SIGTERM arrives is answered before the process exits', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'verdict-drain-'));
  const proc = start(dataDir);
  const port = await proc.port;
  await waitFor(`http://127.0.0.1:${port}/readyz`);
  const key = /\b(vk_[A-Za-z0-9_-]{43})\b/.exec(proc.stdout())![1];

  const payload = JSON.stringify(experimentBody({ key: 'in-flight' }));
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/v1/experiments', method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', reject);
    // Send half the body, then the signal, then the rest.
    req.write(payload.slice(0, 20));
    setTimeout(() => {
      proc.child.kill('SIGTERM');
      setTimeout(() => req.end(payload.slice(20)), 300);
    }, 300);
  });
  const res = await response;
  expect(res.status).toBe(201);
  expect(JSON.parse(res.body).key).toBe('in-flight');
  expect(await proc.exited).toBe(0);
});
