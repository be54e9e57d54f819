-- Raw events partitioned by month of occurred_at (docs/scaling.md, "Data growth").
--
-- A partitioned table's unique keys must include the partition column, and events are
-- deduplicated by their id alone: an event sent without a timestamp takes the time of receipt,
-- so its retry arrives with another occurred_at. Deduplication therefore moves to its own
-- table, event_ids, not partitioned, keyed (unit_id, event_id): ingestion inserts the id first
-- (ON CONFLICT DO NOTHING RETURNING) and the event only when its id is new, in one statement.
-- The key includes unit_id, the distribution column on Citus: a retry repeats its unit.
--
-- events itself has no unique key any more; it is PARTITION BY RANGE (occurred_at), one
-- partition a month (events_YYYY_MM, UTC months) and a default partition as a safety net.
-- The service creates the partitions ahead of time (src/store/event-partitions.ts), moves
-- anything the default partition holds into them, and drops whole months older than
-- EVENTS_RETENTION_DAYS together with their ids.
--
-- Existing rows are converted here, in this migration's one transaction: every event is
-- copied into its month's partition and its id into event_ids, then the old table is dropped.
-- The aggregates lock (exclusive, as every rebuild takes it) keeps ingestion out meanwhile.
SELECT pg_advisory_xact_lock(7421002);

ALTER TABLE events RENAME TO events_before_011;

CREATE TABLE event_ids (
  unit_id     text NOT NULL,
  event_id    text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (unit_id, event_id)
);

CREATE TABLE events (
  event_id    text NOT NULL,
  unit_id     text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('conversion', 'exposure')),
  name        text NOT NULL,               -- the conversion event, or the exposure's experiment key
  value       double precision,
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (occurred_at);
CREATE TABLE events_default PARTITION OF events DEFAULT;

-- A partition for every month that holds events, and for this month and the next two.
DO $$
DECLARE
  m timestamp;
BEGIN
  FOR m IN
    SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC') FROM events_before_011
    UNION
    SELECT date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => k) FROM generate_series(0, 2) AS k
  LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
                   to_char(m, '"events_"YYYY"_"MM'), m::text || '+00', (m + interval '1 month')::text || '+00');
  END LOOP;
END $$;

INSERT INTO events (event_id, unit_id, kind, name, value, occurred_at, received_at)
SELECT event_id, unit_id, kind, name, value, occurred_at, received_at FROM events_before_011;
INSERT INTO event_ids (unit_id, event_id, received_at)
SELECT unit_id, event_id, received_at FROM events_before_011;
DROP TABLE events_before_011;

-- The same indexes as before, now one per partition (built after the copy: faster).
CREATE INDEX events_unit_idx ON events (unit_id);
CREATE INDEX events_conversion_time_idx ON events (occurred_at) WHERE kind = 'conversion';
