import { DEFAULT_HOLDOUT_SALT, type Assignment, type HoldoutConfig } from '../assignment';
import type { components } from '../contract/schema';
import type { ExperimentRow } from '../model/experiment';
import { payloadOf, toAssignable, type Registry } from './registry';

/**
 * The configuration snapshot (GET /v1/config and its stream): what the SDK needs to assign
 * locally with the same pure engine as /v1/assign. A running experiment is sent whole (the
 * engine's input plus payloads); any other one as its control alone, which is all the server
 * answers for it (reason not_running). The browser shape leaves out what a visitor must not
 * learn: QA overrides (forced unit ids) and drafts. Hypotheses, names and metrics are never in
 * either shape. Built once per registry version and shape, then shared (JSON text included).
 */
export type ConfigSnapshot = components['schemas']['ConfigSnapshot'];
export type ConfigExperiment = components['schemas']['ConfigExperiment'];
export type ConfigShape = ConfigSnapshot['shape'];
type ConfigVariant = ConfigExperiment['variants'][number];
type Payload = ConfigVariant['payload'];

function runningEntry(row: ExperimentRow, shape: ConfigShape): ConfigExperiment {
  const a = toAssignable(row);
  const variants: ConfigVariant[] = row.variants.map((v) => ({
    key: v.key,
    weight: v.weight,
    ...(v.factors ? { factors: v.factors } : {}),
    ...(v.payload !== undefined ? { payload: v.payload as Payload } : {}),
  }));
  const out: ConfigExperiment = {
    key: a.key,
    status: a.status,
    salt: a.salt,
    variants,
    control: a.control,
    coverage: a.coverage,
    targeting: (a.targeting ?? null) as ConfigExperiment['targeting'],
    layer: a.layer ?? null,
    respectsHoldout: a.respectsHoldout,
  };
  if (shape === 'server' && a.overrides && Object.keys(a.overrides).length > 0) out.overrides = { ...a.overrides };
  return out;
}

/** An experiment that is not running, as the answer the server gives for it: its control. */
function controlEntry(key: string, status: ConfigExperiment['status'], control: Assignment): ConfigExperiment {
  const payload = payloadOf(control);
  return {
    key,
    status,
    salt: key,
    variants: [{ key: control.variant, weight: 1, ...(control.factors ? { factors: { ...control.factors } } : {}), ...(payload !== undefined ? { payload: payload as Payload } : {}) }],
    control: control.variant,
    coverage: 1,
    targeting: null,
    layer: null,
    respectsHoldout: false,
  };
}

export function buildSnapshot(registry: Registry, holdout: HoldoutConfig | null, shape: ConfigShape): ConfigSnapshot {
  const experiments: ConfigExperiment[] = [];
  for (const e of registry.all()) {
    if (e.row.status === 'running') experiments.push(runningEntry(e.row, shape));
    else if (e.row.status !== 'draft' || shape === 'server') experiments.push(controlEntry(e.row.key, e.row.status, e.compiled.controlFor.not_running));
  }
  for (const [key, control] of registry.archivedAll()) experiments.push(controlEntry(key, 'archived', control));
  experiments.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  return {
    version: registry.version(),
    shape,
    holdout: holdout && holdout.share > 0 ? { share: holdout.share, salt: holdout.salt ?? DEFAULT_HOLDOUT_SALT } : null,
    experiments,
  };
}

export interface ConfigSource {
  /** The current snapshot of this shape, its JSON text and ETag (built once per version). */
  current(shape: ConfigShape): { snapshot: ConfigSnapshot; json: string; etag: string };
  /** Called with each shape's new snapshot whenever the version changes. */
  subscribe(listener: () => void): () => void;
}

export function createConfigSource(registry: Registry, holdout: HoldoutConfig | null): ConfigSource {
  const built = new Map<ConfigShape, { version: number; snapshot: ConfigSnapshot; json: string; etag: string }>();
  return {
    current(shape) {
      const version = registry.version();
      let entry = built.get(shape);
      if (!entry || entry.version !== version) {
        const snapshot = buildSnapshot(registry, holdout, shape);
        entry = { version, snapshot, json: JSON.stringify(snapshot), etag: `"config-${shape}-${version}"` };
        built.set(shape, entry);
      }
      return entry;
    },
    subscribe: (listener) => registry.subscribe(listener),
  };
}
