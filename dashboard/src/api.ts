import type { components } from '../../src/contract/schema';

/**
 * The dashboard's only way to the data: the public API, with the key the user signed in with.
 * The key lives in sessionStorage (gone when the browser session ends), never in a cookie or
 * in localStorage. Errors come back as the API's problem+json, kept whole so a form can show
 * each field's message next to the field.
 */
type S = components['schemas'];
export type Experiment = S['Experiment'];
export type Results = S['Results'];
export type MetricResults = S['MetricResults'];
export type ResultBlock = S['ResultBlock'];
export type Comparison = S['ComparisonResult'];
export type Arm = S['ArmResult'];
export type Decision = S['Decision'];
export type DailyResults = S['DailyResults'];
export type Scorecard = S['Scorecard'];
export type TacticSummary = S['TacticSummary'];
export type FactorEffect = S['FactorEffect'];
export type ForWhom = S['ForWhom'];
export type SegmentLift = S['SegmentLift'];
export type SegmentDecision = S['SegmentDecision'];
export type PairDecision = S['PairDecision'];
export type Power = S['Power'];
export type IntervalType = S['IntervalType'];
export type Problem = S['Problem'];
export type Scope = S['Scope'];

const KEY = 'verdict.key';
const SCOPE = 'verdict.scope';

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY),
  scope: (): Scope | null => sessionStorage.getItem(SCOPE) as Scope | null,
  set(key: string, scope: Scope) {
    sessionStorage.setItem(KEY, key);
    sessionStorage.setItem(SCOPE, scope);
  },
  clear() {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(SCOPE);
  },
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | null,
  ) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
  }
}

async function call(method: string, path: string, options: { body?: unknown; accept?: string; key?: string } = {}): Promise<Response> {
  const key = options.key ?? session.key();
  const headers: Record<string, string> = { Accept: options.accept ?? 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  if (!res.ok) {
    let problem: Problem | null = null;
    try {
      problem = (await res.json()) as Problem;
    } catch {
      problem = null;
    }
    if (res.status === 401 && !options.key) window.dispatchEvent(new CustomEvent('verdict:signed-out'));
    throw new ApiError(res.status, problem);
  }
  return res;
}

const json = async <T>(method: string, path: string, body?: unknown): Promise<T> => (await call(method, path, { body })).json() as Promise<T>;
const enc = encodeURIComponent;

export const api = {
  /** Which scope a key has: read and admin keys can list experiments; only admin keys can list keys. */
  async scopeOf(key: string): Promise<Scope> {
    await call('GET', '/v1/experiments?limit=1', { key });
    try {
      await call('GET', '/v1/keys', { key });
      return 'admin';
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) return 'read';
      throw err;
    }
  },
  async experiments(): Promise<Experiment[]> {
    const items: Experiment[] = [];
    let cursor: string | null = null;
    do {
      const page: S['ExperimentList'] = await json('GET', `/v1/experiments?limit=100${cursor ? `&cursor=${enc(cursor)}` : ''}`);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && items.length < 2000);
    return items;
  },
  experiment: (key: string) => json<Experiment>('GET', `/v1/experiments/${enc(key)}`),
  results: (key: string) => json<Results>('GET', `/v1/experiments/${enc(key)}/results`),
  daily: (key: string, metric?: string) => json<DailyResults>('GET', `/v1/experiments/${enc(key)}/results/daily${metric ? `?metric=${enc(metric)}` : ''}`),
  /** The decision; `acknowledge` names warnings the marketer has checked (`suspicious_lift`). */
  decision: (key: string, acknowledge: readonly string[] = []) =>
    json<Decision>('GET', `/v1/experiments/${enc(key)}/decision${acknowledge.length ? `?${acknowledge.map((a) => `acknowledge=${enc(a)}`).join('&')}` : ''}`),
  tactics: async () => (await json<{ items: TacticSummary[] }>('GET', '/v1/tactics')).items,
  scorecard: (tactic: string) => json<Scorecard>('GET', `/v1/tactics/${enc(tactic)}`),
  create: (body: unknown) => json<Experiment>('POST', '/v1/experiments', body),
  update: (key: string, body: unknown) => json<Experiment>('PATCH', `/v1/experiments/${enc(key)}`, body),
  transition: (key: string, action: 'start' | 'pause' | 'resume' | 'complete') => json<Experiment>('POST', `/v1/experiments/${enc(key)}/${action}`),
  /** The API's own CSV of a results table (Accept: text/csv). */
  async csv(path: string): Promise<Blob> {
    return (await call('GET', path, { accept: 'text/csv' })).blob();
  },
};
