import { definitionFromCreate, validateDefinition, type Experiment, type ExperimentCreate, type ExperimentStatus } from '../../src/model/experiment';
import type { Counts, MetricCounts, VariantCounts } from '../../src/results/counts';

/**
 * Literal inputs for the results core: an experiment made by the model's own rules (defaults
 * filled in, the definition validated), and counts written out arm by arm. No database, no HTTP.
 */
export const START = '2024-03-01T00:00:00.000Z';
export const DAY_MS = 86_400_000;
/** A moment `days` after START. */
export const after = (days: number) => new Date(Date.parse(START) + days * DAY_MS);

export interface Lifecycle {
  status?: ExperimentStatus;
  startedAt?: string | null;
  completedAt?: string | null;
}

/** A running experiment (started at START): control vs personalized, primary binary metric `purchase`, no segments, fixed analysis. */
export function experiment(overrides: Partial<ExperimentCreate> = {}, lifecycle: Lifecycle = {}): Experiment {
  const variants = [
    { key: 'control', name: 'Generic', weight: 1, control: true },
    { key: 'personalized', name: 'Recently viewed', weight: 1 },
  ];
  const built = definitionFromCreate({
    key: 'exp',
    name: 'Personalized hero banner',
    tactic: 'reco',
    ...(overrides.factors ? {} : { variants }),
    metrics: [{ key: 'purchase', type: 'binary', role: 'primary' }],
    segments: [],
    analysis: 'fixed',
    ...overrides,
  });
  if (!built.ok) throw new Error(JSON.stringify(built.errors));
  const errors = validateDefinition(built.definition);
  if (errors.length) throw new Error(JSON.stringify(errors));
  const status = lifecycle.status ?? 'running';
  return {
    ...built.definition,
    key: overrides.key ?? 'exp',
    tactic: overrides.tactic ?? 'reco',
    status,
    version: 1,
    createdAt: START,
    updatedAt: START,
    startedAt: lifecycle.startedAt !== undefined ? lifecycle.startedAt : status === 'draft' ? null : START,
    completedAt: lifecycle.completedAt ?? null,
    archivedAt: null,
  };
}

/** A binary metric's counts: `converters` of the arm's units converted once. */
export const binary = (converters: number): MetricCounts => ({ converters, count: converters, sum: converters, sumSquares: converters });

/** A count or revenue metric's counts from its per-unit sums. */
export const sums = (converters: number, sum: number, sumSquares: number): MetricCounts => ({ converters, count: converters, sum, sumSquares });

/** One arm: its units and each metric's counts. */
export const arm = (variant: string, units: number, metrics: Record<string, MetricCounts>): VariantCounts => ({ variant, units, metrics });

/** Counts with these overall arms and segment blocks (no holdout). */
export function counts(overall: VariantCounts[], segments: Counts['segments'] = []): Counts {
  return { experiment: 'exp', computedAt: START, overall, holdout: null, segments };
}

/** Control and personalized with `purchase` conversions: [units, converters] each. */
export function twoArms(control: [number, number], personalized: [number, number]): VariantCounts[] {
  return [arm('control', control[0], { purchase: binary(control[1]) }), arm('personalized', personalized[0], { purchase: binary(personalized[1]) })];
}
