-- Conversions by time. Completing an experiment recomputes the aggregates of the units with
-- a conversion at or after the completion moment (stamped ahead, or ingested while the
-- completion committed): this index finds those few recent events without scanning the
-- experiment's units or all events. Conversions only: exposure events are never looked up
-- by time. Timestamps arrive mostly in order, so inserts append to the right of the index.
CREATE INDEX events_conversion_time_idx ON events (occurred_at) WHERE kind = 'conversion';
