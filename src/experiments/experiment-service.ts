import { lockAggregates, rebuildExperiment, recomputeCompleted, syncStreams } from '../store/aggregate-store';
import { appendAudit, auditFor, type AuditEntry } from '../store/audit-store';
import { CHANNELS, type Cache } from '../store/cache';
import { UNIQUE_VIOLATION, sqlState, type Db, type Queryable } from '../store/db';
import { recellExposures } from '../store/exposure-store';
import { findOverlap } from '../assignment';
import {
  experimentWithSalt,
  findExperiment,
  insertExperiment,
  listExperiments,
  liveExperimentsInLayer,
  lockName,
  saveExperiment,
  type ExperimentFilter,
} from '../store/experiment-store';
import { StaleVersionError, conflict, invalid, notFound, type FieldError } from '../errors';
import { isEditable, transition, type Action } from '../model/lifecycle';
import {
  applyUpdate,
  definitionFromCreate,
  definitionOf,
  diff,
  ANALYSIS_FIELDS,
  lockedChanges,
  narrows,
  streamsOf,
  validateDefinition,
  type Definition,
  type ExperimentCreate,
  type ExperimentRow,
  type ExperimentUpdate,
} from '../model/experiment';
import { systemClock, type Clock } from '../clock';

/**
 * Experiments: create, read, change, move through the lifecycle. Every change runs in one
 * transaction with its audit entry, under the row lock, applies only to the version the
 * caller expects (optimistic concurrency; HTTP's If-Match), and is announced on the
 * `experiments` channel after commit so every instance reloads what it holds in memory.
 */
export interface ExperimentService {
  create(actor: string, input: ExperimentCreate): Promise<ExperimentRow>;
  get(key: string): Promise<ExperimentRow>;
  list(filter: ExperimentFilter): Promise<ExperimentRow[]>;
  update(actor: string, key: string, patch: ExperimentUpdate, expected?: ExpectedVersion): Promise<ExperimentRow>;
  transition(actor: string, key: string, action: Action, expected?: ExpectedVersion): Promise<ExperimentRow>;
  history(key: string): Promise<AuditEntry[]>;
}

/**
 * The version a change was made against (the one the caller read), or several of which any
 * will do; none: the change applies to whatever version is current.
 */
export type ExpectedVersion = number | readonly number[];

const expects = (expected: ExpectedVersion | undefined, version: number) =>
  expected === undefined || (typeof expected === 'number' ? expected === version : expected.includes(version));

export interface ExperimentServiceOptions {
  /** The global holdout's salt: no experiment may hash with it. */
  holdoutSalt: string;
  /** Called after each committed change, before the response (this instance's registry). */
  onChanged?: (row: ExperimentRow) => void;
  /** The time of changes (created, started, completed...); the demo clock in simulations. */
  clock?: Clock;
}

export function createExperimentService(db: Db, cache: Cache, options: ExperimentServiceOptions): ExperimentService {
  const clock = options.clock ?? systemClock;
  const announce = async (row: ExperimentRow) => {
    options.onChanged?.(row);
    await cache.publish(CHANNELS.experiments, row.key).catch(() => undefined);
  };

  /** The rules of the model, then the ones that need the other experiments (in this transaction). */
  async function check(def: Definition, key: string, tx: Queryable) {
    const errors: FieldError[] = validateDefinition(def);
    if (def.salt === options.holdoutSalt) errors.push({ field: '/salt', message: `"${def.salt}" is the global holdout's salt` });
    if (errors.length) throw invalid('the experiment definition breaks a rule', errors);

    await lockName(tx, `salt:${def.salt}`);
    const sharing = await experimentWithSalt(tx, def.salt, key);
    if (sharing) {
      throw conflict(`salt "${def.salt}" is already used by experiment "${sharing}": two experiments hashing with one salt split units identically; choose another salt`, 'duplicate-salt', { experiment: sharing });
    }
    if (def.layer) {
      await lockName(tx, `layer:${def.layer.key}`);
      const overlapping = findOverlap({ key, layer: def.layer }, await liveExperimentsInLayer(tx, def.layer.key, key));
      if (overlapping) {
        const o = overlapping.layer!;
        throw conflict(
          `slice [${def.layer.start}, ${def.layer.end}) of layer "${def.layer.key}" overlaps experiment "${overlapping.key}", which owns [${o.start}, ${o.end}); a unit may be in only one experiment per layer`,
          'layer-overlap',
          { experiment: overlapping.key },
        );
      }
    }
  }

  async function locked(tx: Queryable, key: string, expected?: ExpectedVersion): Promise<ExperimentRow> {
    const current = await findExperiment(tx, key, { forUpdate: true });
    if (!current) throw notFound(`no experiment with key "${key}"`);
    if (!expects(expected, current.version)) {
      throw new StaleVersionError(`the experiment changed since you read it: it is now at version ${current.version}; fetch it again and reapply your change`, current.version);
    }
    return current;
  }

  return {
    async create(actor, input) {
      const built = definitionFromCreate(input);
      if (!built.ok) throw invalid('the experiment definition breaks a rule', built.errors);
      const definition = built.definition;
      try {
        const created = await db.transaction(async (tx) => {
          await check(definition, input.key, tx);
          const row = await insertExperiment(tx, input.key, input.tactic!, definition, clock.now());
          await syncStreams(tx, row.id, streamsOf(definition));
          await appendAudit(tx, { actor, action: 'create', experimentKey: row.key, details: { definition, tactic: row.tactic } });
          return row;
        });
        await announce(created);
        return created;
      } catch (err) {
        if (sqlState(err) === UNIQUE_VIOLATION) throw conflict(`an experiment with key "${input.key}" already exists`, 'duplicate-key');
        throw err;
      }
    },

    async get(key) {
      const row = await findExperiment(db, key);
      if (!row) throw notFound(`no experiment with key "${key}"`);
      return row;
    },

    list: (filter) => listExperiments(db, filter),

    async update(actor, key, patch, expected) {
      const updated = await db.transaction(async (tx) => {
        const current = await locked(tx, key, expected);
        if (!isEditable(current.status)) throw conflict(`experiment "${key}" is archived and can no longer be changed`, 'archived');
        const before = definitionOf(current);
        const built = applyUpdate(before, patch);
        if (!built.ok) throw invalid('the experiment definition breaks a rule', built.errors);
        const after = built.definition;
        const refused = lockedChanges(current.status, before, after);
        if (refused.length) {
          const analysis = refused.filter((f) => f in ANALYSIS_FIELDS);
          const bucketing = refused.filter((f) => !(f in ANALYSIS_FIELDS));
          const why = [
            ...(bucketing.length ? [`changing its ${bucketing.join(' and ')} would reshuffle units already assigned`] : []),
            ...(analysis.length ? [`changing its ${analysis.join(' and ')} would change the test after its data was seen, so the results would no longer be safe to check on every build`] : []),
          ];
          throw conflict(
            `experiment "${key}" has started (${current.status}): ${why.join('; ')}; complete it and create a new experiment (or a new phase with a new salt) instead`,
            'locked-after-start',
            { fields: refused },
          );
        }
        await check(after, key, tx);
        const tactic = patch.tactic ?? current.tactic;
        const changes = diff({ ...before, tactic: current.tactic }, { ...after, tactic });
        if (Object.keys(changes).length === 0) return current;
        const row = await saveExperiment(tx, key, { tactic, definition: after, status: current.status, narrowed: narrows(current.status, before, after), at: clock.now() });
        const details: Record<string, unknown> = { changes, version: row.version };
        if (changes.metrics) {
          // A metric on a new event or window: aggregate its stream from the raw events now.
          await lockAggregates(tx, 'exclusive');
          const { added } = await syncStreams(tx, row.id, streamsOf(after));
          if (added.length) details.reaggregated = { streams: added, rows: await rebuildExperiment(tx, row.id, added) };
        }
        if (changes.segments && current.startedAt) {
          // A segment attribute added (or dropped): break the units exposed so far down by it, from the attributes stored with their exposures.
          details.recelled = await recellExposures(tx, row.id, after.segments);
        }
        await appendAudit(tx, { actor, action: 'update', experimentKey: key, details });
        return row;
      });
      await announce(updated);
      return updated;
    },

    async transition(actor, key, action, expected) {
      const updated = await db.transaction(async (tx) => {
        const current = await locked(tx, key, expected);
        const result = transition(current.status, action);
        if (!result.ok) throw conflict(result.reason, 'invalid-transition', { currentStatus: current.status });
        const stamp = action === 'start' ? 'started_at' : action === 'complete' ? 'completed_at' : action === 'archive' ? 'archived_at' : undefined;
        const row = await saveExperiment(tx, key, { tactic: current.tactic, definition: definitionOf(current), status: result.to, stamp, at: clock.now() });
        const details: Record<string, unknown> = { from: current.status, to: result.to, version: row.version };
        if (action === 'complete') {
          // Conversions are attributed as they arrive: one stamped at or after completed_at may
          // already be counted (timestamps may be ahead), or be counted by an ingestion that
          // read the experiment as running and has not committed yet. The exclusive lock waits
          // for those; the units concerned are then recomputed from the raw events, and every
          // later ingestion sees completed_at (it reads it in SQL, after the shared lock).
          await lockAggregates(tx, 'exclusive');
          const units = await recomputeCompleted(tx, row.id, new Date(row.completedAt!));
          if (units > 0) details.reaggregated = { units };
        }
        await appendAudit(tx, { actor, action, experimentKey: key, details });
        return row;
      });
      await announce(updated);
      return updated;
    },

    async history(key) {
      const exists = await findExperiment(db, key);
      if (!exists) throw notFound(`no experiment with key "${key}"`);
      return auditFor(db, key);
    },
  };
}
