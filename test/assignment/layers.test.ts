/** Layer slices: overlap rules and validation (the lead refuses overlapping slices with 409). */
import fc from 'fast-check';
import { findOverlap, slicesOverlap, validateLayerSlice } from '../../src/assignment/layers';
import type { LayerSlice } from '../../src/assignment/engine-types';

const s = (start: number, end: number, key = 'home'): LayerSlice => ({ key, start, end });

describe('slicesOverlap', () => {
  const table: [string, LayerSlice, LayerSlice, boolean][] = [
    ['disjoint', s(0, 0.3), s(0.5, 1), false],
    ['touching ends do not overlap (half-open)', s(0, 0.5), s(0.5, 1), false],
    ['partial overlap', s(0, 0.6), s(0.5, 1), true],
    ['contained', s(0.2, 0.3), s(0, 1), true],
    ['identical', s(0.1, 0.2), s(0.1, 0.2), true],
    ['same ranges, different layers', s(0, 1, 'home'), s(0, 1, 'checkout'), false],
  ];
  it.each(table)('%s', (_, a, b, expected) => {
    expect(slicesOverlap(a, b)).toBe(expected);
    expect(slicesOverlap(b, a)).toBe(expected);
  });

  it('agrees with "some bucket value lies in both slices" (property)', () => {
    // Slices on a grid of 1/64 so that a point check over the grid is exhaustive.
    const slice = fc.tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 1, max: 64 })).filter(([a, b]) => a < b);
    fc.assert(
      fc.property(slice, slice, ([a0, a1], [b0, b1]) => {
        let shared = false;
        for (let k = 0; k < 64; k++) if (k >= a0 && k < a1 && k >= b0 && k < b1) shared = true;
        return slicesOverlap(s(a0 / 64, a1 / 64), s(b0 / 64, b1 / 64)) === shared;
      }),
      { seed: 7, numRuns: 500 },
    );
  });
});

describe('findOverlap', () => {
  const others = [
    { key: 'a', layer: s(0, 0.25) },
    { key: 'b', layer: s(0.25, 0.5) },
    { key: 'c', layer: null },
    { key: 'd', layer: s(0.5, 1, 'checkout') },
  ];
  it('returns the first overlapping experiment in the same layer', () => {
    expect(findOverlap({ key: 'new', layer: s(0.4, 0.6) }, others)?.key).toBe('b');
  });
  it('returns null when the slice is free', () => {
    expect(findOverlap({ key: 'new', layer: s(0.5, 1) }, others)).toBeNull();
  });
  it('ignores the candidate itself (an update of its own slice)', () => {
    expect(findOverlap({ key: 'b', layer: s(0.3, 0.5) }, others)).toBeNull();
  });
  it('returns null for an experiment outside any layer', () => {
    expect(findOverlap({ key: 'new', layer: null }, others)).toBeNull();
  });
});

describe('validateLayerSlice', () => {
  it('accepts a valid slice and no layer', () => {
    expect(validateLayerSlice(s(0, 1))).toEqual([]);
    expect(validateLayerSlice(null)).toEqual([]);
  });
  const table: [string, unknown, string[]][] = [
    ['start >= end', s(0.5, 0.5), ['layer.end']],
    ['out of range', s(-0.1, 1.5), ['layer.start', 'layer.end']],
    ['key with "/"', s(0, 1, 'a/b'), ['layer.key']],
    ['not numbers', { key: 'x', start: '0', end: null }, ['layer.start', 'layer.end']],
  ];
  it.each(table)('rejects %s', (_, input, paths) => {
    expect(validateLayerSlice(input).map((e) => e.path)).toEqual(paths);
  });
});
