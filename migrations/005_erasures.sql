-- Erased units, by the same truncated SHA-256 the audit log records (never the unit id).
-- An exposure assigned before the erasure but still queued on another instance must not
-- bring the unit back when that instance flushes: writes skip exposures of an erased unit
-- that happened at or before its erasure. A later visit is a new exposure and is recorded.
-- Rows older than the longest a queued exposure can wait are purged on the next erasure.
CREATE TABLE erasures (
  unit_hash text PRIMARY KEY,
  erased_at timestamptz NOT NULL
);
