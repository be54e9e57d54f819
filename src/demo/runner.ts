import { api, ApiError, inParallel, type Api } from './http-client';
import { DAY_MS, eventsOf, exposureRng, visitor, type Scenario, type Shown } from './simulator';

/**
 * Plays a scenario against a Verdict server through its public HTTP API only, as a storefront
 * would: keys and experiments made by the admin, then day by day on the server's demo clock,
 * one /v1/assign per visit and the visits' events sent to /v1/events in batches, with their
 * times spread over the simulated day. The server must run with VERDICT_DEMO_CLOCK=1.
 */
export interface Target {
  url: string;
  adminKey: string;
}

export interface Progress {
  day: number;
  days: number;
  visitors: number;
  assigns: number;
  events: number;
}

export interface RunOptions {
  /** Requests in flight at once (default 24). */
  concurrency?: number;
  /** Events per /v1/events request (default 1000, the most it takes). */
  batch?: number;
  /** The simulated first day (default: the scenario's days before today, UTC midnight). */
  start?: Date;
  /** Complete every experiment after the last day (default true), so the scorecards count them. */
  complete?: boolean;
  onProgress?(p: Progress): void;
}

export interface RunResult {
  readKey: string;
  assignKey: string;
  start: Date;
  end: Date;
  visitors: number;
  assigns: number;
  /** Events sent to /v1/events (conversions and exposures). */
  events: number;
  elapsedMs: number;
}

interface AssignAnswer {
  assignments: { experiment: string; variant: string | null; inExperiment: boolean }[];
}

type WireEvent = Record<string, unknown>;

export async function checkDemoClock(client: Api, adminKey: string): Promise<void> {
  try {
    await client.request('GET', '/v1/demo/clock', adminKey);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      throw new Error('the server has no demo clock: start it with VERDICT_DEMO_CLOCK=1 so the simulated weeks can pass (see README, "The demo")');
    }
    throw err;
  }
}

const setClock = (client: Api, adminKey: string, at: number) => client.request('PUT', '/v1/demo/clock', adminKey, { now: new Date(at).toISOString() });

/** Sends events in batches, a few requests at once; retries a batch the server could not take yet (503). */
async function sendEvents(client: Api, key: string, events: WireEvent[], batch: number, parallel: number): Promise<void> {
  const batches: WireEvent[][] = [];
  for (let i = 0; i < events.length; i += batch) batches.push(events.slice(i, i + batch));
  await inParallel(batches, parallel, async (events) => {
    for (let attempt = 0; ; attempt++) {
      try {
        const answer = await client.request<{ rejected: { reason: string }[] }>('POST', '/v1/events', key, { events });
        if (answer.rejected.length) throw new Error(`the server rejected ${answer.rejected.length} simulated events, e.g. ${answer.rejected[0].reason}`);
        return;
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 503) || attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
      }
    }
  });
}

export async function runScenario(target: Target, s: Scenario, options: RunOptions = {}): Promise<RunResult> {
  const began = Date.now();
  const concurrency = options.concurrency ?? 24;
  const batch = options.batch ?? 1000;
  const client = api(target.url, concurrency + 8);
  const admin = target.adminKey;
  try {
    await checkDemoClock(client, admin);
    const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    const start = options.start ? options.start.getTime() : today - s.days * DAY_MS;
    await setClock(client, admin, start);

    const assignKey = (await client.request<{ secret: string }>('POST', '/v1/keys', admin, { name: `${s.name} storefront`, scope: 'assign' })).secret;
    const readKey = (await client.request<{ secret: string }>('POST', '/v1/keys', admin, { name: `${s.name} marketing`, scope: 'read' })).secret;
    for (const x of s.experiments) {
      try {
        await client.request('POST', '/v1/experiments', admin, x.definition);
      } catch (err) {
        if (err instanceof ApiError && err.status === 409) {
          throw new Error(`the server already has an experiment "${x.definition.key}": run the demo against a fresh service (or another --seed cannot help: the keys are fixed)`);
        }
        throw err;
      }
      await client.request('POST', `/v1/experiments/${x.definition.key}/start`, admin);
    }

    // The storefront's /v1/assign asks for the experiments it serves; the mailer's own for its.
    const onVisit = s.experiments.filter((x) => !x.exposure).map((x) => x.definition.key);
    const mailed = s.experiments.filter((x) => x.exposure?.via === 'email');

    let assigns = 0;
    let sent = 0;
    let pending: Promise<void> = Promise.resolve();
    let first = 0;
    for (let day = 0; day < s.days; day++) {
      const dayStart = start + day * DAY_MS;
      await setClock(client, admin, dayStart + 60_000);
      const last = Math.ceil(((day + 1) * s.visitors) / s.days);
      const indices: number[] = [];
      for (let i = first; i < Math.min(last, s.visitors); i++) indices.push(i);
      first = last;

      const events: WireEvent[] = [];
      await inParallel(indices, concurrency, async (i) => {
        const v = visitor(s, i);
        const shown: Record<string, string> = {};
        // One request names at most 100 experiments.
        for (let from = 0; from < onVisit.length; from += 100) {
          const experiments = onVisit.slice(from, from + 100);
          const answer = await client.request<AssignAnswer>('POST', '/v1/assign', assignKey, { unitId: v.unitId, attributes: v.attributes, experiments });
          assigns++;
          for (const a of answer.assignments) if (a.variant) shown[a.experiment] = a.variant;
        }
        for (const x of mailed) {
          if (!x.exposure!.eligible(v.attributes)) continue;
          const key = x.definition.key;
          const mail = await client.request<AssignAnswer>('POST', '/v1/assign', assignKey, { unitId: v.unitId, attributes: v.attributes, experiments: [key], track: false });
          assigns++;
          const a = mail.assignments[0];
          if (!a?.variant) continue;
          shown[key] = a.variant;
          if (a.inExperiment && !x.exposure!.lost?.(a.variant, v.attributes, exposureRng(s, key, v))) {
            events.push({ type: 'exposure', eventId: `${v.unitId}:open:${key}`, unitId: v.unitId, experiment: key, attributes: v.attributes, timestamp: new Date(dayStart + 2 * 60_000).toISOString() });
          }
        }
        eventsOf(s, v, shown as Shown).forEach((e, n) => {
          events.push({
            type: 'conversion',
            eventId: `${v.unitId}:${n}`,
            unitId: v.unitId,
            event: e.event,
            ...(e.value !== undefined ? { value: e.value } : {}),
            timestamp: new Date(dayStart + e.atMs).toISOString(),
          });
        });
      });
      // The day's events go while the next day's visitors are assigned (their times are all before it).
      await pending;
      if (day + 1 < s.days) options.onProgress?.({ day: day + 1, days: s.days, visitors: first, assigns, events: sent });
      await setClock(client, admin, dayStart + DAY_MS + 60_000);
      pending = sendEvents(client, assignKey, events, batch, 3).then(() => {
        sent += events.length;
      });
    }
    await pending;
    const end = start + s.days * DAY_MS + 60_000;
    options.onProgress?.({ day: s.days, days: s.days, visitors: first, assigns, events: sent });
    // First exposures from /v1/assign are written in batches (EXPOSURE_FLUSH_MS, 1 s by default): let the last ones land.
    // Completing writes the server's queue first (it can run thousands behind at the end of a
    // large run on the embedded database): the results read after it count every unit. The wait
    // stays for runs that do not complete, and for other instances' queues behind a --url.
    await new Promise((r) => setTimeout(r, 1500));
    if (options.complete !== false) {
      for (const x of s.experiments) await client.request('POST', `/v1/experiments/${x.definition.key}/complete`, admin);
    }
    return { readKey, assignKey, start: new Date(start), end: new Date(end), visitors: first, assigns, events: sent, elapsedMs: Date.now() - began };
  } finally {
    client.close();
  }
}
