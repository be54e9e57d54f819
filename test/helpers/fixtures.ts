import type { ExperimentCreate } from '../../src/model/experiment';

let counter = 0;
/** A unique experiment key per call within a test file. */
export const uniqueKey = (prefix = 'exp') => `${prefix}-${process.pid}-${++counter}`;

/** A valid experiment body: control vs personalized, a primary conversion metric. */
export function experimentBody(overrides: Partial<ExperimentCreate> = {}): ExperimentCreate {
  return {
    key: uniqueKey(),
    name: 'Personalized hero banner',
    hypothesis: 'Showing returning visitors products they viewed raises purchases.',
    tactic: 'personalized-recommendations',
    variants: [
      { key: 'control', name: 'Generic banner', weight: 1, control: true },
      { key: 'personalized', name: 'Recently viewed', weight: 1 },
    ],
    metrics: [
      { key: 'purchase', type: 'binary', role: 'primary' },
      { key: 'revenue', type: 'revenue' },
    ],
    segments: ['device', 'channel'],
    ...overrides,
  };
}
