import { contractFetch } from './world';

/**
 * A steady stream of requests for outage tests: a few workers, each sending one request at
 * a time with a short pause, every response checked against openapi.yaml. Each request is
 * bounded by a generous timeout (a hang guard, not a speed check). Outcomes are counted per
 * phase, so a test can name the phase (`load.phase = 'outage'`) and read what happened in it.
 */
export interface PhaseStats {
  /** Responses by status code. */
  statuses: Record<number, number>;
  /** Requests that got no response (timed out, connection refused or reset) or a wrong one (`check` threw). */
  failures: number;
  /** Up to 5 examples of what went wrong (non-2xx bodies, failures). */
  examples: string[];
}

export interface SteadyLoad {
  phase: string;
  stats: Map<string, PhaseStats>;
  /** Requests answered in a phase, whatever the status. */
  answered(phase: string): number;
  /** Requests in a phase that were not answered 2xx (non-2xx responses and failures). */
  bad(phase: string): number;
  stop(): Promise<void>;
}

export interface LoadRequest {
  path: string;
  body: unknown;
  /** Called with each 2xx body: a check of its content (throwing counts as a failure). */
  check?: (body: unknown) => void;
}

export function steadyLoad(
  baseUrl: () => string,
  key: string,
  next: (i: number) => LoadRequest,
  options: { workers?: number; pauseMs?: number; timeoutMs?: number } = {},
): SteadyLoad {
  const { workers = 2, pauseMs = 10, timeoutMs = 2000 } = options;
  const stats = new Map<string, PhaseStats>();
  let stopped = false;
  let counter = 0;
  const load: SteadyLoad = {
    phase: 'before',
    stats,
    answered: (phase) => Object.values(stats.get(phase)?.statuses ?? {}).reduce((a, n) => a + n, 0),
    bad(phase) {
      const s = stats.get(phase);
      if (!s) return 0;
      return s.failures + Object.entries(s.statuses).reduce((a, [status, n]) => a + (Number(status) >= 300 ? n : 0), 0);
    },
    async stop() {
      stopped = true;
      await running;
    },
  };
  const of = (phase: string) => {
    let s = stats.get(phase);
    if (!s) stats.set(phase, (s = { statuses: {}, failures: 0, examples: [] }));
    return s;
  };
  async function worker() {
    await null; // let the caller hold `load` before the first request is built
    while (!stopped) {
      const phase = load.phase;
      const request = next(counter++);
      const s = of(phase);
      try {
        const res = await contractFetch(baseUrl() + request.path, {
          method: 'POST',
          headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
          body: JSON.stringify(request.body),
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await res.text();
        s.statuses[res.status] = (s.statuses[res.status] ?? 0) + 1;
        if (res.status >= 300 && s.examples.length < 5) s.examples.push(`${res.status} ${text.slice(0, 300)}`);
        if (res.status < 300 && request.check) {
          try {
            request.check(JSON.parse(text));
          } catch (err) {
            s.failures++;
            if (s.examples.length < 5) s.examples.push(`check failed: ${(err as Error).message}`);
          }
        }
      } catch (err) {
        s.failures++;
        if (s.examples.length < 5) s.examples.push(`no answer: ${(err as Error).message}`);
      }
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  }
  const running = Promise.all(Array.from({ length: workers }, worker)).then(() => undefined);
  return load;
}
