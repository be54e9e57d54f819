import { assign as engineAssign, hash32, type Attributes, type HoldoutConfig } from '../assignment';
import { compileSnapshot, type CompiledEntry, type CompiledSnapshot, type ConfigSnapshot, type SdkAssignment } from './snapshot';
import { parseEvents } from './sse';

/**
 * The Verdict SDK: assigns locally from a live configuration snapshot, with the server's own
 * pure engine, so answers are those of POST /v1/assign without a network round trip.
 *
 *   const client = createClient({ url, key });
 *   await client.ready();
 *   const { assignments } = client.assign('visitor-42', { device: 'mobile' });
 *
 * - The snapshot comes from GET /v1/config, then follows GET /v1/config/stream (Server-Sent
 *   Events read through fetch, so it can carry the key), reconnecting with backoff. A stale
 *   snapshot keeps serving; without any snapshot every experiment named answers
 *   `variant: null`, reason `not_ready` (show your default).
 * - Exposures (first time a unit is bucketed or held out in an experiment, as /v1/assign
 *   records them) go to POST /v1/events in batches: every `flushIntervalMs` or `batchSize`
 *   events. Each eventId is derived from the unit and the experiment, so the server stores a
 *   retried batch or a reloaded page's exposure once. With consent false nothing is sent.
 * - Stickiness: the server keeps a unit's recorded variant when coverage is lowered or
 *   targeting changed after the start. The SDK keeps the variant of each exposure it recorded
 *   (up to `maxRemembered` units) and passes it to the engine the same way; a unit first
 *   exposed through another client is assigned by hashing, as the server would for a unit
 *   whose mark it had not yet seen.
 * Works in Node 20 and in browsers (fetch, TextDecoder, no Node built-ins).
 */
export interface ClientOptions {
  /** The service's base URL, e.g. "https://verdict.example.com". */
  url: string;
  /** An `assign` key (in a page, a key created for browsers). */
  key: string;
  /**
   * "browser" reads the browser-safe snapshot (no QA overrides, no drafts). Default: "browser"
   * in a page; elsewhere the key's own (browser for a browser key, else server).
   */
  shape?: 'server' | 'browser';
  /** false: the visitor opted out; every experiment answers its control (opted_out) and nothing is sent. */
  consent?: boolean;
  /** Follow changes through the stream (default true); false reads the snapshot once. */
  stream?: boolean;
  flushIntervalMs?: number;
  batchSize?: number;
  /** How many (unit, experiment) exposures are remembered for stickiness and de-duplication. */
  maxRemembered?: number;
  fetch?: typeof fetch;
  onError?: (err: unknown) => void;
}

export interface AssignOptions {
  /** Experiment keys to assign; default every running experiment. */
  experiments?: readonly string[];
  /** Record first exposures (default true). */
  track?: boolean;
}

export interface AssignResult {
  unitId: string;
  assignments: SdkAssignment[];
}

export interface ExposureEvent {
  type: 'exposure';
  eventId: string;
  unitId: string;
  experiment: string;
  variant: string;
  attributes?: Attributes;
  timestamp: string;
}

export interface VerdictClient {
  /** Resolves once a snapshot is loaded, or the first attempt failed (then `not_ready` answers until one arrives). */
  ready(): Promise<void>;
  assign(unitId: string, attributes?: Attributes, options?: AssignOptions): AssignResult;
  /** One experiment's answer (no array): the fastest path. */
  assignOne(experiment: string, unitId: string, attributes?: Attributes, options?: { track?: boolean }): SdkAssignment;
  /** Queue an exposure for an answer already given (used by the OpenFeature hooks). */
  track(unitId: string, assignment: SdkAssignment, attributes?: Attributes): void;
  setConsent(consent: boolean): void;
  /** The snapshot's version (undefined before the first one). */
  readonly version: number | undefined;
  /** Called after each new snapshot. */
  onChange(listener: () => void): () => void;
  /** Send the queued exposures now. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

const MAX_EVENT_ID = 128;

/** The page's global scope when running in a browser (typed loosely: the package builds without the DOM library). */
interface PageScope {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}
const page: PageScope | null = (() => {
  const g = globalThis as { window?: unknown; document?: unknown } & Partial<PageScope>;
  return g.window !== undefined && g.document !== undefined && typeof g.addEventListener === 'function' ? (g as PageScope) : null;
})();

/** The exposure's event id: the same for a unit and an experiment on every page, retry and reload. */
export function exposureEventId(experiment: string, unitId: string): string {
  const plain = `x1:${experiment}:${unitId}`;
  if (plain.length <= MAX_EVENT_ID) return plain;
  const a = hash32('verdict-exposure-a', unitId).toString(16).padStart(8, '0');
  const b = hash32('verdict-exposure-b', unitId).toString(16).padStart(8, '0');
  return `x1:${experiment}:#${a}${b}`;
}

const notReady = (experiment: string): SdkAssignment => ({ experiment, variant: null, inExperiment: false, reason: 'not_ready' });
const unknownAnswer = (experiment: string): SdkAssignment => ({ experiment, variant: null, inExperiment: false, reason: 'unknown' });

/** What the client knows of one unit: variant recorded per experiment ("h" = held out). */
type Marks = Map<string, string>;

export function createClient(options: ClientOptions): VerdictClient {
  const base = options.url.replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  const inPage = page !== null;
  const shape = options.shape ?? (inPage ? 'browser' : undefined);
  const shapeQuery = shape ? `?shape=${shape}` : '';
  const flushIntervalMs = options.flushIntervalMs ?? 1000;
  const batchSize = options.batchSize ?? 100;
  const maxRemembered = options.maxRemembered ?? 100_000;
  const onError = options.onError ?? (() => undefined);
  const auth = { Authorization: `Bearer ${options.key}` };
  let consent = options.consent !== false;

  let snapshot: CompiledSnapshot | null = null;
  let etag: string | null = null;
  let closed = false;
  const listeners = new Set<() => void>();
  const marks = new Map<string, Marks>();
  let queue: ExposureEvent[] = [];
  let flushTimer: ReturnType<typeof setTimeout> | null = null;
  let streamAbort: AbortController | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;

  function install(raw: ConfigSnapshot) {
    if (snapshot && raw.version < snapshot.version) return;
    snapshot = compileSnapshot(raw);
    for (const l of listeners) l();
  }

  async function load(): Promise<void> {
    const res = await doFetch(`${base}/v1/config${shapeQuery}`, { headers: etag ? { ...auth, 'If-None-Match': etag } : auth });
    if (res.status === 304) return;
    if (!res.ok) throw new Error(`GET /v1/config answered ${res.status}`);
    etag = res.headers.get('etag');
    install((await res.json()) as ConfigSnapshot);
  }

  let attempt = 0;
  function scheduleStream() {
    if (closed) return;
    const delay = Math.min(30_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
    attempt++;
    retryTimer = setTimeout(() => void follow(), delay);
  }

  async function follow(): Promise<void> {
    if (closed) return;
    streamAbort = new AbortController();
    try {
      const res = await doFetch(`${base}/v1/config/stream${shapeQuery}`, { headers: { ...auth, Accept: 'text/event-stream' }, signal: streamAbort.signal });
      if (!res.ok || !res.body) throw new Error(`GET /v1/config/stream answered ${res.status}`);
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        const { events, rest } = parseEvents(buffer);
        buffer = rest;
        for (const e of events) {
          if (e.event !== 'config') continue;
          attempt = 0;
          install(JSON.parse(e.data) as ConfigSnapshot);
        }
      }
    } catch (err) {
      if (closed) return;
      onError(err);
    }
    scheduleStream();
  }

  const readyPromise: Promise<void> = load().then(
    () => undefined,
    (err) => {
      onError(err);
    },
  );
  if (options.stream !== false) void readyPromise.then(() => follow());
  else void readyPromise.then(() => (snapshot ? undefined : scheduleLoadRetry()));

  function scheduleLoadRetry() {
    if (closed) return;
    retryTimer = setTimeout(() => {
      load().catch((err) => {
        onError(err);
        scheduleLoadRetry();
      });
    }, 5000);
  }

  function remember(unitId: string, experiment: string, mark: string) {
    let m = marks.get(unitId);
    if (!m) {
      if (marks.size >= maxRemembered) marks.delete(marks.keys().next().value as string);
      m = new Map();
      marks.set(unitId, m);
    }
    m.set(experiment, mark);
  }

  function enqueue(unitId: string, a: SdkAssignment, attributes: Attributes | undefined) {
    remember(unitId, a.experiment, a.reason === 'holdout' ? 'h' : 'v:' + a.variant!);
    const event: ExposureEvent = { type: 'exposure', eventId: exposureEventId(a.experiment, unitId), unitId, experiment: a.experiment, variant: a.variant!, timestamp: new Date().toISOString() };
    if (attributes && Object.keys(attributes).length > 0) event.attributes = attributes;
    queue.push(event);
    if (queue.length >= batchSize) void flush();
    else if (flushTimer === null) flushTimer = setTimeout(() => void flush(), flushIntervalMs);
  }

  const engineOptions: { holdout: HoldoutConfig | null | undefined; sticky: string | undefined; recordedHoldout: boolean } = { holdout: undefined, sticky: undefined, recordedHoldout: false };

  /** One experiment for one unit: the engine's decision, with what this client recorded of the unit. */
  function decide(entry: CompiledEntry, unitId: string, unit: { unitId: string; attributes?: Attributes; consent: boolean }, unitMarks: Marks | undefined, track: boolean, attributes: Attributes | undefined): SdkAssignment {
    const mark = entry.running && consent && unitMarks !== undefined ? unitMarks.get(entry.key) : undefined;
    // One options object for every call (the engine reads it and keeps nothing): no allocation per experiment.
    engineOptions.holdout = snapshot!.holdout;
    engineOptions.sticky = mark !== undefined && mark.charCodeAt(0) === 118 /* v */ ? mark.slice(2) : undefined;
    engineOptions.recordedHoldout = mark === 'h';
    const a = engineAssign(unit, entry.compiled, engineOptions);
    const out = entry.answers.get(a)!;
    if (track && consent && mark === undefined && (a.reason === 'bucketed' || a.reason === 'holdout')) enqueue(unitId, out, attributes);
    return out;
  }

  function assign(unitId: string, attributes?: Attributes, opts?: AssignOptions): AssignResult {
    const s = snapshot;
    const keys = opts?.experiments;
    if (s === null) return { unitId, assignments: keys ? keys.map(notReady) : [] };
    const track = opts?.track !== false;
    const unit = { unitId, attributes, consent };
    const unitMarks = marks.size > 0 ? marks.get(unitId) : undefined;
    let assignments: SdkAssignment[];
    if (keys) {
      assignments = new Array<SdkAssignment>(keys.length);
      for (let i = 0; i < keys.length; i++) {
        const entry = s.byKey.get(keys[i]);
        assignments[i] = entry ? decide(entry, unitId, unit, unitMarks, track, attributes) : unknownAnswer(keys[i]);
      }
    } else {
      const running = s.running;
      assignments = new Array<SdkAssignment>(running.length);
      for (let i = 0; i < running.length; i++) assignments[i] = decide(running[i], unitId, unit, unitMarks, track, attributes);
    }
    return { unitId, assignments };
  }

  async function flush(): Promise<void> {
    if (flushTimer !== null) {
      clearTimeout(flushTimer);
      flushTimer = null;
    }
    if (queue.length === 0) return;
    const batch = queue.slice(0, 1000);
    queue = queue.slice(batch.length);
    try {
      const res = await doFetch(`${base}/v1/events`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ events: batch }),
        keepalive: inPage,
      });
      if (res.status >= 500 || res.status === 429) throw new Error(`POST /v1/events answered ${res.status}`);
      // 4xx: the batch itself is at fault; resending it would fail the same way.
    } catch (err) {
      onError(err);
      if (!closed) {
        queue = batch.concat(queue); // the event ids make the retry safe
        if (flushTimer === null) flushTimer = setTimeout(() => void flush(), Math.max(flushIntervalMs, 2000));
      }
    }
    if (queue.length > 0 && flushTimer === null && !closed) flushTimer = setTimeout(() => void flush(), flushIntervalMs);
  }

  // In a page, the last batch leaves on pagehide. fetch with keepalive outlives the page like
  // navigator.sendBeacon, and unlike it can carry the Authorization header (sendBeacon would
  // need the key in the URL, where logs and proxies keep it).
  const onPageHide = () => void flush();
  page?.addEventListener('pagehide', onPageHide);

  return {
    ready: () => readyPromise,
    assign,
    assignOne(experiment, unitId, attributes, opts) {
      const s = snapshot;
      if (s === null) return notReady(experiment);
      const entry = s.byKey.get(experiment);
      if (!entry) return unknownAnswer(experiment);
      const unitMarks = marks.size > 0 ? marks.get(unitId) : undefined;
      return decide(entry, unitId, { unitId, attributes, consent }, unitMarks, opts?.track !== false, attributes);
    },
    track(unitId, a, attributes) {
      if (!consent || a.variant === null || (a.reason !== 'bucketed' && a.reason !== 'holdout')) return;
      if (marks.get(unitId)?.has(a.experiment)) return;
      enqueue(unitId, a, attributes);
    },
    setConsent(value) {
      consent = value;
      if (!value) queue = [];
    },
    get version() {
      return snapshot?.version;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    flush,
    async close() {
      closed = true;
      streamAbort?.abort();
      if (retryTimer) clearTimeout(retryTimer);
      page?.removeEventListener('pagehide', onPageHide);
      await flush();
      if (flushTimer) clearTimeout(flushTimer);
    },
  };
}

