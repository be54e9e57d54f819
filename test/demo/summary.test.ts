import type { Decision, Results, Scorecard } from '../../src/demo/report';
import { forWhom, lift, pooled, tacticForWhom, winRate } from '../../src/demo/summary';

/** The demo summary's columns, on hand-built answers (pure). */
const rate = (wins: number, losses: number, inconclusive: number) => ({ wins, losses, inconclusive, rate: wins + losses + inconclusive ? wins / (wins + losses + inconclusive) : null });

const scorecard = {
  tactic: 't',
  checkedAt: '2026-12-06T00:00:00.000Z',
  metrics: [
    {
      metric: 'purchase',
      experiments: [],
      winRate: rate(1, 1, 1),
      segments: [
        { attribute: 'lifecycle', value: 'new', experiments: 3, ...rate(0, 1, 2) },
        { attribute: 'lifecycle', value: 'returning', experiments: 3, ...rate(2, 0, 1) },
        { attribute: 'device', value: 'mobile', experiments: 3, ...rate(1, 0, 2) },
      ],
      pooled: {
        experiments: 3,
        fixed: { lift: 0.1, ci: [0.05, 0.15], logEstimate: 0.095, se: 0.02 },
        random: { lift: 0.12, ci: [-0.01, 0.26], logEstimate: 0.113, se: 0.06 },
        q: 3,
        tau2: 0.01,
        i2: 0.3,
      },
    },
  ],
} as unknown as Scorecard;

test('win rate: wins of the experiments counted (wins, losses, inconclusive), never of all listed', () => {
  expect(winRate(scorecard, 'purchase')).toBe('1 of 3 (33 %)');
  const none = { ...scorecard, metrics: [{ ...scorecard.metrics[0], winRate: rate(0, 0, 0) }] } as Scorecard;
  expect(winRate(none, 'purchase')).toBe('none counted');
  expect(winRate(scorecard, 'revenue')).toBe('n/a');
});

test('pooled lift: the random-effects estimate with its interval', () => {
  expect(pooled(scorecard, 'purchase')).toBe('+12.0 % (-1.0 % to +26.0 %)');
  expect(lift(null, null)).toBe('n/a');
});

test("a tactic's for whom: the segment values where it wins, best rate first", () => {
  expect(tacticForWhom(scorecard, 'purchase')).toBe('returning 2/3, mobile 1/3');
});

const comparison = (variant: string, significant: boolean, better: boolean | null, estimate: number) => ({
  variant,
  control: 'control',
  significant,
  better,
  relative: { estimate, ci: null },
});
const results = {
  alpha: 0.05,
  metrics: [
    {
      key: 'purchase',
      overall: { variants: [], comparisons: [] },
      segments: [
        { attribute: 'lifecycle', value: 'new', variants: [], comparisons: [comparison('a', false, null, 0.02), comparison('b', true, false, -0.3)] },
        { attribute: 'lifecycle', value: 'returning', variants: [], comparisons: [comparison('a', true, true, 0.4), comparison('b', true, true, 0.9)] },
        { attribute: 'device', value: 'mobile', variants: [], comparisons: [comparison('a', true, true, 0.2)] },
      ],
    },
  ],
} as unknown as Results;

test("an experiment's for whom: significant segment comparisons of the decided arm, better ones first", () => {
  const decision = { decision: 'ship', metric: 'purchase', variant: 'a' } as Decision;
  expect(forWhom(decision, results).map((h) => `${h.value} ${h.lift} ${h.better}`)).toEqual(['returning 0.4 true', 'mobile 0.2 true']);
  // No decided arm: every arm's significant comparisons, the harmful ones last.
  const open = { decision: 'continue', metric: 'purchase', variant: null } as Decision;
  expect(forWhom(open, results).map((h) => `${h.value}:${h.variant}`)).toEqual(['returning:b', 'returning:a', 'mobile:a', 'new:b']);
  expect(forWhom({ ...open, decision: 'invalid' }, results)).toEqual([]);
});
