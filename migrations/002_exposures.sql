-- First exposures: the moment a unit first saw an experiment, in which variant, and the
-- values of the experiment's segment attributes at that moment. One row per unit and
-- experiment; holdout units are recorded with holdout = true (they saw the control).

CREATE TABLE exposures (
  experiment_id    integer NOT NULL REFERENCES experiments (id),
  unit_id          text NOT NULL,
  variant          text NOT NULL,
  holdout          boolean NOT NULL DEFAULT false,
  first_exposed_at timestamptz NOT NULL,
  segments         jsonb NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (experiment_id, unit_id)
);
CREATE INDEX exposures_unit_idx ON exposures (unit_id);
