import { derive, rng } from './random';
import type { Scenario, SimulatedExperiment } from './simulator';

/**
 * A coverage scenario: many independent A/B experiments running at once, each with its own
 * conversion event and a true relative lift drawn at random, so that after the run the share
 * of reported intervals that hold the true lift can be compared with the confidence level.
 * Every customer is in every experiment (one /v1/assign answers them all).
 */
export interface CoverageOptions {
  experiments: number;
  visitors: number;
  seed: number;
  days?: number;
  /** The control's conversion rate (default 0.2). */
  base?: number;
  analysis?: 'fixed' | 'sequential';
  prefix?: string;
}

export interface CoverageScenario extends Scenario {
  /** The true relative lift of each experiment's treatment, by key. */
  truth: Record<string, number>;
}

export function coverageScenario(o: CoverageOptions): CoverageScenario {
  const base = o.base ?? 0.2;
  const prefix = o.prefix ?? 'cov';
  const r = rng(derive(o.seed, 'true-lifts'));
  const truth: Record<string, number> = {};
  const experiments: SimulatedExperiment[] = [];
  for (let i = 0; i < o.experiments; i++) {
    const key = `${prefix}-${i}`;
    // A third of them A/A (no effect), the others anywhere from -30 % to +50 %.
    const lift = i % 3 === 0 ? 0 : Math.round((-0.3 + 0.8 * r()) * 1000) / 1000;
    truth[key] = lift;
    experiments.push({
      definition: {
        key,
        name: `Coverage ${i}`,
        tactic: `${prefix}-tactic`,
        variants: [
          { key: 'control', name: 'Control', weight: 1, control: true },
          { key: 'treatment', name: 'Treatment', weight: 1 },
        ],
        metrics: [{ key: 'buy', type: 'binary', role: 'primary', event: `buy-${i}` }],
        segments: [],
        analysis: o.analysis ?? 'fixed',
        plannedSampleSize: o.visitors,
      },
      effect: (v) => (v === 'treatment' ? { purchase: lift } : {}),
    });
  }
  return {
    name: 'Coverage',
    seed: o.seed,
    days: o.days ?? 7,
    visitors: o.visitors,
    population: { device: { mobile: 1 } },
    experiments,
    truth,
    behave(_v, shown, r) {
      const events = [];
      for (let i = 0; i < experiments.length; i++) {
        const x = experiments[i];
        const variant = shown[x.definition.key];
        if (variant === undefined) continue;
        const p = base * (1 + (x.effect(variant, {}).purchase ?? 0));
        if (r() < p) events.push({ event: `buy-${i}`, atMs: 20 * 60_000 + r() * 60 * 60_000 });
      }
      return events;
    },
  };
}
