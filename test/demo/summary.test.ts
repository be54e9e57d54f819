import type { Decision, Scorecard } from '../../src/demo/report';
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

const value = (v: string | null, shrunk: number | null) => ({ value: v, shrunk: shrunk === null ? null : { estimate: shrunk, ci: [shrunk - 0.1, shrunk + 0.1] } });
const segments = {
  attribute: 'lifecycle',
  variant: 'personalized',
  metric: 'purchase',
  pValue: 0.001,
  pValueAdjusted: 0.003,
  correction: 'holm',
  ship_to: ['returning'],
  exclude: ['new'],
  undecided: ['loyal', null],
  values: [value('returning', 0.36), value('loyal', 0.05), value(null, null), value('new', -0.2)],
};

test("an experiment's for whom: the decision's segment verdict, roll-out values first, excluded last", () => {
  const decision = { decision: 'ship', metric: 'purchase', variant: 'personalized', segments } as unknown as Decision;
  expect(forWhom(decision).map((h) => `${h.attribute}=${h.value} ${h.verdict} ${h.lift}`)).toEqual([
    'lifecycle=returning ship_to 0.36',
    'lifecycle=loyal undecided 0.05',
    'lifecycle=null undecided null',
    'lifecycle=new exclude -0.2',
  ]);
  // Alike in every segment (no attribute's lift differs), or an invalid decision: nothing to say per segment.
  expect(forWhom({ ...decision, segments: null })).toEqual([]);
  expect(forWhom({ ...decision, decision: 'invalid' })).toEqual([]);
});
