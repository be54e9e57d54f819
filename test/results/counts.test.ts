import { buildCounts, metricPlan, type MetricCounts } from '../../src/results/counts';
import { experiment } from './literal';

/**
 * buildCounts on literal rows, as store/counts reads them: per cell (one arm in one
 * combination of segment values) and stream. Every expected figure is a sum of the rows
 * below, worked by hand.
 */
const e = experiment({
  segments: ['device', 'channel'],
  metrics: [
    { key: 'purchase', type: 'binary', role: 'primary' },
    { key: 'items', type: 'count', event: 'purchase', cap: 10 },
    { key: 'revenue', type: 'revenue', event: 'purchase' },
    { key: 'signups', type: 'count', event: 'signup' },
    // Parts on one stream (cross sums come with the stream rows) and on two (cross sums come apart).
    { key: 'aov', type: 'ratio', numerator: 'revenue', denominator: 'items' },
    { key: 'per-signup', type: 'ratio', numerator: 'revenue', denominator: 'signups' },
  ],
});

const rows: Parameters<typeof buildCounts>[1] = {
  cells: [
    { cell: 1, variant: 'control', holdout: false, segments: { device: 'mobile', channel: 'email' } },
    { cell: 2, variant: 'control', holdout: false, segments: { device: 'desktop' } },
    { cell: 3, variant: 'personalized', holdout: false, segments: { device: 'mobile', channel: 'email' } },
    { cell: 4, variant: 'personalized', holdout: false, segments: { device: 'mobile', channel: 7 } },
    { cell: 5, variant: 'control', holdout: true, segments: { device: 'mobile', channel: 'email' } },
  ],
  units: [
    { cell: 1, units: 10 },
    { cell: 2, units: 20 },
    { cell: 3, units: 15 },
    { cell: 4, units: 5 },
    { cell: 5, units: 7 },
  ],
  streams: [
    { cell: 1, stream: 'purchase@', converters: 3, count: 4, values: { purchase: { sum: 3, sumSquares: 3 }, items: { sum: 4, sumSquares: 6 }, revenue: { sum: 100, sumSquares: 5000 } }, cross: { aov: 150 } },
    { cell: 3, stream: 'purchase@', converters: 5, count: 12, values: { purchase: { sum: 5, sumSquares: 5 }, items: { sum: 9, sumSquares: 19 }, revenue: { sum: 200, sumSquares: 9000 } }, cross: { aov: 400 } },
    { cell: 5, stream: 'purchase@', converters: 1, count: 1, values: { purchase: { sum: 1, sumSquares: 1 }, items: { sum: 1, sumSquares: 1 }, revenue: { sum: 50, sumSquares: 2500 } }, cross: { aov: 50 } },
    { cell: 2, stream: 'signup@', converters: 4, count: 4, values: { signups: { sum: 4, sumSquares: 4 } }, cross: {} },
    { cell: 4, stream: 'signup@', converters: 2, count: 3, values: { signups: { sum: 3, sumSquares: 5 } }, cross: {} },
    { cell: 3, stream: 'signup@', converters: 1, count: 1, values: { signups: { sum: 1, sumSquares: 1 } }, cross: {} },
  ],
  cross: [{ cell: 3, metric: 'per-signup', crossSum: 30 }],
};

const counts = buildCounts(e, rows, new Date('2024-03-05T00:00:00.000Z'));
const mc = (converters: number, count: number, sum: number, sumSquares: number): MetricCounts => ({ converters, count, sum, sumSquares });
const ratio = (num: MetricCounts, den: MetricCounts, crossSum: number): MetricCounts => ({
  converters: den.converters,
  count: den.count,
  sum: num.sum,
  sumSquares: num.sumSquares,
  numeratorSum: num.sum,
  numeratorSumSquares: num.sumSquares,
  denominatorSum: den.sum,
  denominatorSumSquares: den.sumSquares,
  crossSum,
});
const ZERO = mc(0, 0, 0, 0);
const EMPTY = { purchase: ZERO, items: ZERO, revenue: ZERO, signups: ZERO, aov: ratio(ZERO, ZERO, 0), 'per-signup': ratio(ZERO, ZERO, 0) };

test('metricPlan: what the SQL reads, per counting metric and per ratio', () => {
  const plan = metricPlan(e);
  expect(plan.counting).toEqual([
    { key: 'purchase', stream: 'purchase@', type: 'binary', cap: null },
    { key: 'items', stream: 'purchase@', type: 'count', cap: 10 },
    { key: 'revenue', stream: 'purchase@', type: 'revenue', cap: null },
    { key: 'signups', stream: 'signup@', type: 'count', cap: null },
  ]);
  expect(plan.ratios.map((r) => [r.key, r.numerator.key, r.denominator.key])).toEqual([
    ['aov', 'revenue', 'items'],
    ['per-signup', 'revenue', 'signups'],
  ]);
});

test('overall: each arm sums its cells (a count metric counts its capped values, the others the events)', () => {
  // control = cells 1 + 2, personalized = cells 3 + 4; the holdout cell 5 is apart.
  const purchase = mc(3, 4, 3, 3);
  const items = mc(3, 4, 4, 6);
  const revenue = mc(3, 4, 100, 5000);
  const signups = mc(4, 4, 4, 4);
  expect(counts.overall[0]).toEqual({
    variant: 'control',
    units: 30,
    metrics: { purchase, items, revenue, signups, aov: ratio(revenue, items, 150), 'per-signup': ratio(revenue, signups, 0) },
  });
  const pRevenue = mc(5, 12, 200, 9000);
  const pSignups = mc(3, 4, 4, 6);
  expect(counts.overall[1]).toEqual({
    variant: 'personalized',
    units: 20,
    metrics: { purchase: mc(5, 12, 5, 5), items: mc(5, 9, 9, 19), revenue: pRevenue, signups: pSignups, aov: ratio(pRevenue, mc(5, 9, 9, 19), 400), 'per-signup': ratio(pRevenue, pSignups, 30) },
  });
});

test('the holdout is counted apart: in no arm and no segment', () => {
  expect(counts.holdout).toEqual({
    variant: 'holdout',
    units: 7,
    metrics: {
      ...EMPTY,
      purchase: mc(1, 1, 1, 1),
      items: mc(1, 1, 1, 1),
      revenue: mc(1, 1, 50, 2500),
      aov: ratio(mc(1, 1, 50, 2500), mc(1, 1, 1, 1), 50),
      'per-signup': ratio(mc(1, 1, 50, 2500), ZERO, 0),
    },
  });
  const mobileControl = counts.segments.find((s) => s.attribute === 'device' && s.value === 'mobile')!.variants[0];
  expect(mobileControl.units).toBe(10); // cell 1 only
  expect(buildCounts(e, { ...rows, cells: rows.cells.filter((c) => !c.holdout) }, new Date()).holdout).toBeNull();
});

test('per segment attribute: one block per value, in the order of the segments, values sorted; a value not sent is null', () => {
  expect(counts.segments.map((s) => [s.attribute, s.value, s.variants.map((v) => v.units)])).toEqual([
    ['device', 'desktop', [20, 0]],
    ['device', 'mobile', [10, 20]],
    ['channel', '7', [0, 5]],
    ['channel', 'email', [10, 15]],
    ['channel', null, [20, 0]],
  ]);
  const email = counts.segments.find((s) => s.value === 'email')!;
  expect(email.variants[1].metrics.signups).toEqual(mc(1, 1, 1, 1)); // cell 3's signup row
  expect(email.variants[1].metrics['per-signup'].crossSum).toBe(30);
  // Every variant is in every block, zero-filled.
  expect(counts.segments[0].variants[1]).toEqual({ variant: 'personalized', units: 0, metrics: EMPTY });
});

test('the sums of the blocks of one attribute add up to the overall arm', () => {
  for (const attribute of e.segments) {
    const blocks = counts.segments.filter((s) => s.attribute === attribute);
    counts.overall.forEach((arm, i) => {
      expect(blocks.reduce((a, b) => a + b.variants[i].units, 0)).toBe(arm.units);
      for (const key of Object.keys(arm.metrics)) expect(blocks.reduce((a, b) => a + b.variants[i].metrics[key].sum, 0)).toBe(arm.metrics[key].sum);
    });
  }
});

test('rows of a cell the experiment does not know are ignored', () => {
  const extra = buildCounts(e, { ...rows, units: [...rows.units, { cell: 99, units: 1000 }] }, new Date());
  expect(extra.overall.map((a) => a.units)).toEqual([30, 20]);
});
