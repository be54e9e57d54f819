-- Conversion values are bounded from now on: |value| <= 1e9 (openapi.yaml, ConversionEvent).
-- Before, any finite value was accepted, and one from about 1.35e154 made the sums of squares
-- overflow: every read of its experiment's results failed until the unit was erased.
--
-- The raw events stay as recorded. The aggregates of every exposed unit with a conversion
-- beyond the bound are recomputed from the raw events, each value clamped at the bound, as
-- src/store/aggregates.ts computes them from now on (same attribution rule). Holding the
-- aggregates lock exclusively, like every rebuild, so no ingestion interleaves. Only these
-- units are touched: events are scanned once, nothing else is rewritten.
SELECT pg_advisory_xact_lock(7421002);

CREATE TEMP TABLE out_of_bound_units ON COMMIT DROP AS
  SELECT DISTINCT x.experiment_id, x.unit_id
    FROM events ev
    JOIN exposures x ON x.unit_id = ev.unit_id
   WHERE ev.kind = 'conversion' AND abs(ev.value) > 1e9;

DELETE FROM unit_metrics u
 USING out_of_bound_units o
 WHERE u.experiment_id = o.experiment_id AND u.unit_id = o.unit_id;

INSERT INTO unit_metrics (experiment_id, unit_id, stream, cell, count, sum)
SELECT x.experiment_id, x.unit_id, m.id, x.cell, count(*),
       coalesce(sum(LEAST(GREATEST(ev.value, -1e9::float8), 1e9::float8)), 0)
  FROM out_of_bound_units o
  JOIN exposures x ON x.experiment_id = o.experiment_id AND x.unit_id = o.unit_id
  JOIN experiment_streams m ON m.experiment_id = x.experiment_id
  JOIN experiments e ON e.id = x.experiment_id
  JOIN events ev ON ev.unit_id = x.unit_id AND ev.name = m.event AND ev.kind = 'conversion'
 WHERE ev.occurred_at >= x.first_exposed_at
   AND (m.window_hours IS NULL OR ev.occurred_at <= x.first_exposed_at + make_interval(secs => m.window_hours * 3600))
   AND (e.completed_at IS NULL OR ev.occurred_at < e.completed_at)
 GROUP BY x.experiment_id, x.unit_id, m.id, x.cell;
