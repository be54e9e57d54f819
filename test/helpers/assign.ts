import http from 'node:http';
import type { components } from '../../src/contract/schema';

type AssignResponse = components['schemas']['AssignResponse'];

/**
 * POST /v1/assign for many units through real HTTP, with keep-alive connections and a few
 * requests in flight, so property tests over 100,000 units stay quick.
 */
export async function assignMany(
  baseUrl: string,
  key: string,
  units: readonly string[],
  body: (unitId: string, i: number) => Record<string, unknown> = (unitId) => ({ unitId }),
  concurrency = 16,
): Promise<AssignResponse[]> {
  const url = new URL('/v1/assign', baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const out: AssignResponse[] = new Array(units.length);
  let next = 0;
  const post = (payload: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, text }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  async function worker() {
    while (next < units.length) {
      const i = next++;
      const { status, text } = await post(JSON.stringify(body(units[i], i)));
      if (status !== 200) throw new Error(`assign ${units[i]} -> ${status}: ${text}`);
      out[i] = JSON.parse(text) as AssignResponse;
    }
  }
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return out;
}

/** Deterministic unit ids: a mix of customer ids, cookie-like ids and non-ASCII ones. */
export function unitIds(n: number, seed = 1): string[] {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.5) ids.push(`cust-${seed}-${i}`);
    else if (r < 0.9) ids.push(`${Math.floor(rand() * 2 ** 32).toString(16)}-${i}-${seed}`);
    else ids.push(`üser-${i}-用户-${seed}`);
  }
  return ids;
}
