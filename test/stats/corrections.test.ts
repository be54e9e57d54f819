import fc from 'fast-check';
import { benjaminiHochberg, holm } from '../../src/stats';
import rVectors from './vectors/r.json';

describe("multiple-testing corrections vs R's p.adjust (vectors/r.json)", () => {
  test.each(rVectors.padjust)('$call', (v) => {
    const h = holm(v.p);
    const b = benjaminiHochberg(v.p);
    v.holm.forEach((x, i) => expect(Math.abs(h[i] - x)).toBeLessThanOrEqual(1e-15 * Math.max(1, x)));
    v.bh.forEach((x, i) => expect(Math.abs(b[i] - x)).toBeLessThanOrEqual(1e-15 * Math.max(1, x)));
  });
  test('empty and single inputs', () => {
    expect(holm([])).toEqual([]);
    expect(benjaminiHochberg([0.03])).toEqual([0.03]);
    expect(() => holm([0.1, 1.2])).toThrow(RangeError);
    expect(() => benjaminiHochberg([NaN])).toThrow(RangeError);
  });
});

describe('properties (fast-check): adjusted >= raw, in [0,1], order-preserving, Holm >= BH', () => {
  test('holds for arbitrary p-value vectors', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 40 }), (p) => {
        const h = holm(p);
        const b = benjaminiHochberg(p);
        p.forEach((x, i) => {
          expect(h[i]).toBeGreaterThanOrEqual(x);
          expect(b[i]).toBeGreaterThanOrEqual(x);
          expect(h[i]).toBeLessThanOrEqual(1);
          expect(b[i]).toBeLessThanOrEqual(1);
          expect(h[i]).toBeGreaterThanOrEqual(b[i]);
          p.forEach((y, j) => {
            if (x < y) {
              expect(h[i]).toBeLessThanOrEqual(h[j]);
              expect(b[i]).toBeLessThanOrEqual(b[j]);
            }
          });
        });
        return true;
      }),
      { numRuns: 300, seed: 5 },
    );
  });
});
