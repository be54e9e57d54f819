import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { openRuntime } from '../../src/runtime';
import type { Db } from '../../src/store/db';
import { eventPartitions, maintainEvents, partitionName } from '../../src/store/event-partitions';
import { loadMigrations, migrate } from '../../src/store/migrate';
import { openPglite } from '../../src/store/pglite';
import { connectPostgres } from '../../src/store/postgres';
import { conversion, counts, eid, exposure } from '../helpers/events';
import { runExperiment } from '../helpers/experiments';
import { backend, createTestDatabase, testConfig, useWorld } from '../helpers/world';

/**
 * Raw events partitioned by month (migration 011, src/store/event-partitions.ts), on the real
 * database of the backend under test. Events are sent through the service's ingestor with its
 * clock set (the API accepts events from 7 days old to 5 minutes ahead of now, so reaching
 * another month needs another now); results are read through GET /counts.
 */
const world = useWorld();
const iso = (s: string) => new Date(s);

/** Which table holds each of these events. */
async function homes(db: Db, eventIds: string[]): Promise<Record<string, string>> {
  const { rows } = await db.query<{ event_id: string; home: string }>('SELECT event_id, tableoid::regclass::text AS home FROM events WHERE event_id = ANY($1)', [eventIds]);
  return Object.fromEntries(rows.map((r) => [r.event_id, r.home]));
}

const ingest = (events: unknown[], now: Date) => world.rt.ingestor.ingest(events, now);

describe('monthly partitions', () => {
  test('every instance makes this month and the next two at start; maintenance is idempotent', async () => {
    const months = (await eventPartitions(world.rt.db)).map(partitionName);
    const now = new Date();
    for (let k = 0; k <= 2; k++) expect(months).toContain(partitionName(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + k, 1))));
    expect(await maintainEvents(world.rt.db)).toEqual({ created: [], moved: 0, dropped: [], droppedEvents: 0, droppedIds: 0 });
  });

  test('events land in the partition of their month (UTC), on either side of a boundary', async () => {
    // Far ahead of any day this suite runs, so the partitions made are the test's own.
    expect((await maintainEvents(world.rt.db, { now: iso('2090-02-15T00:00:00Z') })).created).toEqual(['events_2090_02', 'events_2090_03', 'events_2090_04']);
    const now = iso('2090-03-01T00:02:00Z');
    expect((await maintainEvents(world.rt.db, { now })).created).toEqual(['events_2090_05']);
    const before = conversion('part-1', 'purchase', '2090-02-28T23:59:59.999Z');
    const after = conversion('part-1', 'purchase', '2090-03-01T00:00:00.000Z');
    const untimed = { type: 'conversion', eventId: eid('c'), unitId: 'part-1', event: 'purchase' };
    expect(await ingest([before, after, untimed], now)).toEqual({ accepted: 3, duplicates: 0, rejected: [] });
    expect(await homes(world.rt.db, [before.eventId, after.eventId, untimed.eventId])).toEqual({
      [before.eventId]: 'events_2090_02',
      [after.eventId]: 'events_2090_03',
      [untimed.eventId]: 'events_2090_03',
    });
  });

  test('a retry is a duplicate across the partition boundary, with or without its timestamp', async () => {
    const key = await runExperiment(world);
    const beforeMidnight = iso('2090-05-31T23:59:50Z');
    const afterMidnight = iso('2090-06-01T00:00:10Z');
    await maintainEvents(world.rt.db, { now: afterMidnight });
    // Sent in May: the exposure and a timed conversion; the untimed conversion takes May's time of receipt.
    const batch = [
      exposure('part-2', key, '2090-05-31T23:59:00Z'),
      conversion('part-2', 'revenue', '2090-05-31T23:59:30Z', 20),
      { type: 'conversion', eventId: eid('c'), unitId: 'part-2', event: 'purchase' },
    ];
    expect(await ingest(batch, beforeMidnight)).toEqual({ accepted: 3, duplicates: 0, rejected: [] });
    // Retried after midnight: the untimed one would land in June, but its id is taken.
    expect(await ingest(batch, afterMidnight)).toEqual({ accepted: 0, duplicates: 3, rejected: [] });
    const { rows } = await world.rt.db.query<{ home: string; n: number }>(
      'SELECT tableoid::regclass::text AS home, count(*)::int AS n FROM events WHERE unit_id = $1 GROUP BY 1',
      ['part-2'],
    );
    expect(rows).toEqual([{ home: 'events_2090_05', n: 3 }]);
    const c = await counts(world, key);
    expect([c.units(), c.total('purchase', 'count'), c.total('revenue', 'sum')]).toEqual([1, 1, 20]);
  });

  test('the same batch sent four times at once is stored once (each waits for the commit that claimed an id, then finds it taken)', async () => {
    const now = iso('2090-03-03T12:00:00Z');
    const batch = Array.from({ length: 40 }, (_, i) => conversion(`part-c${i % 8}`, 'purchase', '2090-03-03T11:00:00Z', i));
    const results = await Promise.all(Array.from({ length: 4 }, () => ingest(batch, now)));
    expect(results.reduce((a, r) => a + r.accepted, 0)).toBe(40);
    expect(results.reduce((a, r) => a + r.duplicates, 0)).toBe(3 * 40);
    const { rows } = await world.rt.db.query<{ events: number; ids: number }>(
      `SELECT (SELECT count(*) FROM events WHERE event_id = ANY($1))::int AS events, (SELECT count(*) FROM event_ids WHERE event_id = ANY($1))::int AS ids`,
      [batch.map((e) => e.eventId)],
    );
    expect(rows[0]).toEqual({ events: 40, ids: 40 });
  });

  test('an id is one per unit: the same eventId from another unit is another event', async () => {
    const now = iso('2090-03-02T12:00:00Z');
    const shared = eid('shared');
    const a = conversion('part-3a', 'purchase', '2090-03-02T11:00:00Z', undefined, shared);
    const b = conversion('part-3b', 'purchase', '2090-03-02T11:00:00Z', undefined, shared);
    expect(await ingest([a, b, a], now)).toEqual({ accepted: 2, duplicates: 1, rejected: [] });
    expect(await ingest([b], now)).toEqual({ accepted: 0, duplicates: 1, rejected: [] });
    const { rows } = await world.rt.db.query('SELECT unit_id FROM event_ids WHERE event_id = $1 ORDER BY unit_id', [shared]);
    expect(rows).toEqual([{ unit_id: 'part-3a' }, { unit_id: 'part-3b' }]);
  });

  test("a row in the default partition is moved into its month's partition when that is made, and still deduplicates", async () => {
    // Nothing made 2091's partitions: an event there lands in the default partition.
    const now = iso('2091-07-15T10:00:00Z');
    const e = conversion('part-4', 'purchase', '2091-07-15T09:00:00Z', 3);
    expect(await ingest([e], now)).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect(await homes(world.rt.db, [e.eventId])).toEqual({ [e.eventId]: 'events_default' });
    const r = await maintainEvents(world.rt.db, { now });
    expect(r.created).toEqual(['events_2091_07', 'events_2091_08', 'events_2091_09']);
    expect(r.moved).toBe(1);
    expect(await homes(world.rt.db, [e.eventId])).toEqual({ [e.eventId]: 'events_2091_07' });
    const { rows } = await world.rt.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events_default');
    expect(rows[0].n).toBe(0);
    expect(await ingest([e], now)).toEqual({ accepted: 0, duplicates: 1, rejected: [] });
  });

  test('a month the default partition holds is made even when it is not ahead (the service was down)', async () => {
    const now = iso('2092-01-03T00:00:00Z');
    const e = conversion('part-5', 'purchase', '2091-12-30T00:00:00Z');
    await ingest([e], now);
    expect(await homes(world.rt.db, [e.eventId])).toEqual({ [e.eventId]: 'events_default' });
    expect((await maintainEvents(world.rt.db, { now })).created).toEqual(['events_2091_12', 'events_2092_01', 'events_2092_02', 'events_2092_03']);
    expect(await homes(world.rt.db, [e.eventId])).toEqual({ [e.eventId]: 'events_2091_12' });
  });

  test('erasing a unit removes its events and ids from every month', async () => {
    const now = iso('2090-03-02T12:00:00Z');
    const events = [conversion('part-6', 'purchase', '2090-02-27T00:00:00Z'), conversion('part-6', 'purchase', '2090-03-02T00:00:00Z')];
    await ingest(events, now);
    await world.api.delete('/v1/units/part-6').set({ Authorization: `Bearer ${world.adminKey}` }).expect(200);
    const left = await world.rt.db.query<{ n: number }>(
      'SELECT (SELECT count(*) FROM events WHERE unit_id = $1)::int + (SELECT count(*) FROM event_ids WHERE unit_id = $1)::int AS n',
      ['part-6'],
    );
    expect(left.rows[0].n).toBe(0);
  });
});

describe('retention', () => {
  test('a retention under 8 days is refused (events are accepted up to 7 days old)', async () => {
    await expect(maintainEvents(world.rt.db, { retentionDays: 7 })).rejects.toThrow(/at least 8/);
    expect(() => loadConfig({ EVENTS_RETENTION_DAYS: '7' })).toThrow(/EVENTS_RETENTION_DAYS must be an integer from 8/);
    expect(loadConfig({ EVENTS_RETENTION_DAYS: '400' }).eventsRetentionDays).toBe(400);
    expect(loadConfig({}).eventsRetentionDays).toBeUndefined();
  });

  test('dropping old months removes their events and ids; results, read from per-unit aggregates, do not change', async () => {
    const key = await runExperiment(world);
    const now = iso('2090-08-10T12:00:00Z');
    await maintainEvents(world.rt.db, { now });
    const units = ['ret-1', 'ret-2', 'ret-3'];
    const batch = units.flatMap((u, i) => [exposure(u, key, '2090-08-10T10:00:00Z'), conversion(u, 'purchase', '2090-08-10T11:00:00Z'), conversion(u, 'revenue', '2090-08-10T11:00:00Z', 10 * (i + 1))]);
    expect(await ingest(batch, now)).toEqual({ accepted: 9, duplicates: 0, rejected: [] });
    const before = (await counts(world, key)).body;
    expect(before.overall.reduce((a, v) => a + v.units, 0)).toBe(3);

    // 60 days later, with a 30-day retention: every month that ended by 2090-09-10 goes (this one's too).
    const later = iso('2090-10-10T12:00:00Z');
    const r = await maintainEvents(world.rt.db, { now: later, retentionDays: 30 });
    expect(r.dropped).toEqual(expect.arrayContaining(['events_2090_02', 'events_2090_03', 'events_2090_05', 'events_2090_08']));
    expect(r.dropped).not.toContain('events_2090_09');
    expect(r.droppedIds).toBeGreaterThanOrEqual(9);
    const months = (await eventPartitions(world.rt.db)).map(partitionName);
    expect(months).not.toContain('events_2090_08');
    expect(months).toEqual(expect.arrayContaining(['events_2090_09', 'events_2090_10', 'events_2090_11', 'events_2090_12']));
    const left = await world.rt.db.query<{ events: number; ids: number }>(
      'SELECT (SELECT count(*) FROM events WHERE unit_id = ANY($1))::int AS events, (SELECT count(*) FROM event_ids WHERE unit_id = ANY($1))::int AS ids',
      [units],
    );
    expect(left.rows[0]).toEqual({ events: 0, ids: 0 });

    const after = (await counts(world, key)).body;
    expect({ overall: after.overall, segments: after.segments, holdout: after.holdout }).toEqual({ overall: before.overall, segments: before.segments, holdout: before.holdout });
    // The dropped events, sent again with their timestamps, are refused as too old: never counted twice.
    const again = await ingest(batch, later);
    expect([again.accepted, again.duplicates, again.rejected.length]).toEqual([0, 0, 9]);
    expect(new Set(again.rejected.map((x) => x.reason))).toEqual(new Set(['timestamp is more than 7 days old']));
    // Nothing dropped twice: a second run at the same moment changes nothing.
    expect(await maintainEvents(world.rt.db, { now: later, retentionDays: 30 })).toEqual({ created: [], moved: 0, dropped: [], droppedEvents: 0, droppedIds: 0 });
  });
});

describe('retention of rows left in the default partition', () => {
  test('a month older than the retention found in the default partition is made and dropped, its ids with it', async () => {
    const e = conversion('ret-d', 'purchase', '2093-05-09T00:00:00Z');
    expect(await ingest([e], iso('2093-05-10T00:00:00Z'))).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect(await homes(world.rt.db, [e.eventId])).toEqual({ [e.eventId]: 'events_default' });
    const r = await maintainEvents(world.rt.db, { now: iso('2093-08-01T00:00:00Z'), retentionDays: 30 });
    expect(r.created).toContain('events_2093_05');
    expect(r.dropped).toContain('events_2093_05');
    const left = await world.rt.db.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM events WHERE unit_id = 'ret-d')::int + (SELECT count(*) FROM event_ids WHERE unit_id = 'ret-d')::int + (SELECT count(*) FROM events_default)::int AS n`,
    );
    expect(left.rows[0].n).toBe(0);
  });
});

describe('maintenance from several instances at once', () => {
  test('two runs at the same moment: each month made and dropped once, both succeed', async () => {
    await maintainEvents(world.rt.db, { now: iso('2094-01-15T00:00:00Z') });
    const e = conversion('ret-c', 'purchase', '2094-01-15T12:00:00Z');
    expect(await ingest([e], iso('2094-01-16T00:00:00Z'))).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const later = iso('2094-04-01T00:00:00Z');
    const [a, b] = await Promise.all([maintainEvents(world.rt.db, { now: later, retentionDays: 30 }), maintainEvents(world.rt.db, { now: later, retentionDays: 30 })]);
    expect([...a.dropped, ...b.dropped].filter((n) => n === 'events_2094_01')).toEqual(['events_2094_01']);
    expect([...a.created, ...b.created].filter((n) => n === 'events_2094_04')).toEqual(['events_2094_04']);
    expect(a.droppedIds + b.droppedIds).toBeGreaterThanOrEqual(1);
    const left = await world.rt.db.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM events WHERE unit_id = 'ret-c')::int + (SELECT count(*) FROM event_ids WHERE unit_id = 'ret-c')::int AS n`,
    );
    expect(left.rows[0].n).toBe(0);
  });
});

describe('migration 011', () => {
  test('a populated database from before 011 keeps every event, each in its month, and its ids still deduplicate', async () => {
    let db: Db;
    let cleanup: () => Promise<void>;
    if (backend === 'postgres') {
      const database = await createTestDatabase(process.env.DATABASE_URL!);
      db = connectPostgres(database.url, { max: 2 });
      cleanup = database.drop;
    } else {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'verdict-pre011-'));
      db = await openPglite({ dataDir: dir });
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    }
    try {
      await migrate(db, loadMigrations().filter((m) => m.version < 11));
      // 3,000 events over three months (one of them long past), a few straddling midnight UTC at month ends.
      await db.query(
        `INSERT INTO events (event_id, unit_id, kind, name, value, occurred_at, received_at)
         SELECT 'pre-' || i, 'unit-' || (i % 400), CASE WHEN i % 5 = 0 THEN 'exposure' ELSE 'conversion' END,
                CASE WHEN i % 5 = 0 THEN 'some-experiment' ELSE 'purchase' END,
                CASE WHEN i % 3 = 0 THEN NULL ELSE i / 7.0 END,
                timestamptz '2025-03-01 00:00:00+00' + (i % 3) * interval '1 month' + (i % 2) * interval '1 month' - interval '1 second' * (i % 7),
                timestamptz '2025-06-01 00:00:00+00'
           FROM generate_series(1, 3000) AS i`,
      );
      const fingerprint = `SELECT count(*)::int AS n, md5(string_agg(event_id || '|' || unit_id || '|' || kind || '|' || name || '|' || coalesce(value::text, '-') || '|' || occurred_at::text || '|' || received_at::text, ',' ORDER BY event_id)) AS md5 FROM events`;
      const before = (await db.query<{ n: number; md5: string }>(fingerprint)).rows[0];
      expect(before.n).toBe(3000);

      expect((await migrate(db)).applied).toContain('011_partitioned_events');
      expect((await db.query<{ n: number; md5: string }>(fingerprint)).rows[0]).toEqual(before);
      const { rows: placed } = await db.query<{ home: string; month: string; n: number }>(
        `SELECT tableoid::regclass::text AS home, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY_MM') AS month, count(*)::int AS n FROM events GROUP BY 1, 2 ORDER BY 2`,
      );
      expect(placed.length).toBeGreaterThanOrEqual(4);
      for (const p of placed) expect(p.home).toBe(`events_${p.month}`);
      const ids = await db.query<{ n: number; missing: number }>(
        `SELECT count(*)::int AS n, (SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM event_ids d WHERE d.unit_id = e.unit_id AND d.event_id = e.event_id))::int AS missing FROM event_ids`,
      );
      expect(ids.rows[0]).toEqual({ n: 3000, missing: 0 });

      // The service on it: a pre-011 event sent again (same unit, same id) is a duplicate.
      const rt = await openRuntime(testConfig(), createLogger('silent'), { db });
      try {
        const now = new Date();
        const again = await rt.ingestor.ingest([{ type: 'conversion', eventId: 'pre-2', unitId: 'unit-2', event: 'purchase' }, conversion('unit-2', 'purchase', now.toISOString())], now);
        expect([again.accepted, again.duplicates]).toEqual([1, 1]);
      } finally {
        await rt.close();
      }
    } finally {
      await db.close().catch(() => undefined);
      await cleanup();
    }
  });
});
