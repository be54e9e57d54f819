-- Events and per-unit aggregates.
--
-- events is the raw record: every accepted conversion and exposure event, once (event_id).
--
-- A cell is one arm of an experiment in one combination of segment values (personalized,
-- mobile + email + returning; holdout units have cells of their own). Exposures and
-- aggregates carry its integer id, so results group by integers and derive every variant
-- and per-attribute breakdown from the few cells.
--
-- A stream is what a metric counts: one conversion event within one attribution window.
-- Metrics on the same event and window (a conversion rate, a count and a revenue on
-- "order") share a stream. experiment_streams lists each experiment's streams (derived from
-- its metrics) so attribution can be done in SQL. unit_metrics holds, per experiment,
-- exposed unit and stream, the count and sum of the unit's attributed events, with the
-- unit's cell copied from its exposure: results aggregate this one table over exposed units
-- and never scan raw events.

CREATE TABLE events (
  event_id    text PRIMARY KEY,
  unit_id     text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('conversion', 'exposure')),
  name        text NOT NULL,               -- the conversion event, or the exposure's experiment key
  value       double precision,
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_unit_idx ON events (unit_id);

CREATE TABLE cells (
  id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  experiment_id integer NOT NULL REFERENCES experiments (id),
  variant       text NOT NULL,
  holdout       boolean NOT NULL,
  segments      jsonb NOT NULL,
  UNIQUE (experiment_id, variant, holdout, segments)
);

ALTER TABLE exposures ADD COLUMN cell integer;
INSERT INTO cells (experiment_id, variant, holdout, segments) SELECT DISTINCT experiment_id, variant, holdout, segments FROM exposures;
UPDATE exposures x SET cell = c.id FROM cells c
 WHERE c.experiment_id = x.experiment_id AND c.variant = x.variant AND c.holdout = x.holdout AND c.segments = x.segments;
ALTER TABLE exposures ALTER COLUMN cell SET NOT NULL;

CREATE TABLE experiment_streams (
  id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  experiment_id integer NOT NULL REFERENCES experiments (id),
  stream        text NOT NULL,             -- event + '@' + window hours ('' when none)
  event         text NOT NULL,
  window_hours  double precision,
  UNIQUE (experiment_id, stream)
);
CREATE INDEX experiment_streams_event_idx ON experiment_streams (event);

-- Updated in place on every attributed conversion: room on each page lets the update stay
-- on the page without touching the index (HOT), the bulk of ingestion's cost otherwise.
-- Narrow on purpose: results scan it whole.
CREATE TABLE unit_metrics (
  experiment_id integer NOT NULL,
  unit_id       text NOT NULL,
  stream        integer NOT NULL,          -- experiment_streams.id
  cell          integer NOT NULL,          -- cells.id: the unit's variant, holdout flag and segments
  count         bigint NOT NULL,
  sum           double precision NOT NULL,
  PRIMARY KEY (experiment_id, unit_id, stream)
) WITH (fillfactor = 70);
