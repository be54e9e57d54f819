-- Foundation: API keys, experiments and the audit log.

CREATE TABLE api_keys (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  scope       text NOT NULL CHECK (scope IN ('assign', 'read', 'admin')),
  secret_hash text NOT NULL UNIQUE,          -- sha256 of the key; the key itself is never stored
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);

CREATE TABLE experiments (
  id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key          text NOT NULL UNIQUE,
  status       text NOT NULL CHECK (status IN ('draft', 'running', 'paused', 'completed', 'archived')),
  tactic       text NOT NULL,
  version      integer NOT NULL DEFAULT 1,
  definition   jsonb NOT NULL,                -- everything a client sets: name, variants, metrics, ...
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  started_at   timestamptz,
  completed_at timestamptz,
  archived_at  timestamptz
);
CREATE INDEX experiments_status_idx ON experiments (status);
CREATE INDEX experiments_tactic_idx ON experiments (tactic);

CREATE TABLE audit_log (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at             timestamptz NOT NULL DEFAULT now(),
  actor          text NOT NULL,               -- the id of the API key that made the change
  action         text NOT NULL,
  experiment_key text,
  details        jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_experiment_idx ON audit_log (experiment_key, id);
