import type { ExperimentCreate } from '../../src/model/experiment';
import { experimentBody } from './fixtures';

/**
 * The experiments and units of the SDK agreement check (test/sdk/agreement.test.ts on a few
 * hundred units, bench/sdk.ts on 10,000): one of every kind the engine distinguishes.
 */
export interface AgreementExperiment {
  body: ExperimentCreate;
  start: boolean;
  pause?: boolean;
}

export function agreementExperiments(): AgreementExperiment[] {
  const two = (payloads = false): ExperimentCreate['variants'] => [
    { key: 'control', name: 'Generic', weight: 1, control: true, ...(payloads ? { payload: { hero: 'generic' } } : {}) },
    { key: 'personalized', name: 'Personalized', weight: 1, ...(payloads ? { payload: { hero: 'recent', items: [1, 2, 3] } } : {}) },
  ];
  const e = (overrides: Partial<ExperimentCreate>, start = true, pause = false): AgreementExperiment => ({ body: experimentBody({ respectsHoldout: false, ...overrides }), start, pause });
  return [
    e({ variants: two(true) }), // plain, with payloads
    e({ variants: [{ key: 'control', name: 'C', weight: 5, control: true }, { key: 'b', name: 'B', weight: 2 }, { key: 'c', name: 'C2', weight: 1, payload: 'third' }] }), // weighted
    e({ coverage: 0.3 }), // ramped
    e({ layer: { key: 'homepage', start: 0, end: 0.5 } }), // layered
    e({ layer: { key: 'homepage', start: 0.5, end: 0.8 }, variants: two(true) }), // layered, the next slice
    e({ respectsHoldout: true, variants: two(true) }), // holdout
    e({
      variants: undefined,
      factors: [
        { key: 'hero', levels: [{ key: 'plain' }, { key: 'viewed', payload: { slot: 'recent' } }] },
        { key: 'badge', levels: [{ key: 'none' }, { key: 'sale', payload: 'SALE' }, { key: 'new', weight: 2 }] },
      ],
    }), // multivariate
    e({
      targeting: {
        all: [
          { attribute: 'device', op: 'in', value: ['mobile', 'tablet'] },
          { any: [{ attribute: 'visits', op: 'gte', value: 3 }, { attribute: 'member', op: 'eq', value: true }, { attribute: 'country', op: 'exists', value: false }] },
        ],
      },
    }), // targeted
    e({ overrides: { 'unit-3': 'personalized', 'unit-10': 'control', 'qa-anna': 'personalized' }, coverage: 0.5 }), // forced
    e({ variants: two(true) }, true, true), // paused
  ];
}

/** Deterministic pseudo-random units with attribute sets (xorshift, so runs compare). */
export function generatedUnits(n: number, seed = 1): { unitId: string; attributes: Record<string, string | number | boolean> }[] {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)];
  const out: { unitId: string; attributes: Record<string, string | number | boolean> }[] = [];
  for (let i = 0; i < n; i++) {
    const attributes: Record<string, string | number | boolean> = { device: pick(['mobile', 'desktop', 'tablet']) };
    if (next() < 0.7) attributes.visits = Math.floor(next() * 10);
    if (next() < 0.5) attributes.member = next() < 0.5;
    if (next() < 0.6) attributes.country = pick(['de', 'fr', 'us', 'jp']);
    out.push({ unitId: pick(['unit-', 'visitor_', 'ü-', '用户']) + i, attributes });
  }
  return out;
}
