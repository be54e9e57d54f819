-- Who the data in Redis belongs to.
--
-- database_identity holds one random id, made when this migration first runs: the
-- database's identity. Every Redis key and channel that holds this database's data lives
-- under REDIS_PREFIX + this id + ':', so a database that is reset, replaced or freshly
-- created behind a Redis that kept its data never reads another database's exposure marks.
-- (A copy of a database, such as a restored backup, keeps the identity: see experiments.uid.)
CREATE TABLE database_identity (
  id         text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX database_identity_single ON database_identity ((true));
INSERT INTO database_identity (id) VALUES (substr(md5(gen_random_uuid()::text), 1, 16));

-- uid: a random id per experiment, part of its exposure marks' keys. A database restored from
-- a backup hands out serial ids again; an experiment created after the restore gets a new uid,
-- so it never inherits the marks of the experiment that had its id before.
ALTER TABLE experiments ADD COLUMN uid text NOT NULL DEFAULT substr(md5(gen_random_uuid()::text), 1, 16);
CREATE UNIQUE INDEX experiments_uid_idx ON experiments (uid);

-- narrowed_at: set when an update lowers coverage or changes targeting after the start. From
-- then on hashing no longer keeps every exposed unit in its variant; only the record does, so
-- a unit whose mark is missing (Redis wiped, an in-process cache beyond its warm-up) is looked
-- up in exposures. Experiments narrowed before this migration are found in the audit log.
ALTER TABLE experiments ADD COLUMN narrowed_at timestamptz;
UPDATE experiments e SET narrowed_at = n.at
  FROM (SELECT a.experiment_key, min(a.at) AS at
          FROM audit_log a JOIN experiments x ON x.key = a.experiment_key
         WHERE a.action = 'update' AND x.started_at IS NOT NULL AND a.at >= x.started_at
           AND (a.details->'changes' ? 'coverage' OR a.details->'changes' ? 'targeting')
         GROUP BY a.experiment_key) n
 WHERE e.key = n.experiment_key;
