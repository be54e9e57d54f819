/**
 * Property tests over 100,000 generated unit ids (fixed seeds): monotone coverage ramps, sticky
 * assignments, mutually exclusive layers, the global holdout and multivariate splits.
 */
import { assign } from '../../src/assignment/assign';
import { compile } from '../../src/assignment/compile';
import { expandFactorial } from '../../src/assignment/factorial-design';
import { findOverlap } from '../../src/assignment/layers';
import type { Assignment, HoldoutConfig } from '../../src/assignment/engine-types';
import { chiSquareGoodnessOfFit, countBy, experiment, unitIds } from './support';

const N = 100_000;
const P_MIN = 0.001;
const units = unitIds(N, 77);
const threeWay = [{ key: 'control', weight: 1 }, { key: 'b', weight: 2 }, { key: 'c', weight: 3 }];

describe('coverage ramps are monotone', () => {
  const at = (coverage: number): Assignment[] => {
    const c = compile(experiment({ salt: 'ramp', variants: threeWay, coverage }));
    return units.map((unitId) => assign({ unitId }, c));
  };
  const ramp = [0.1, 0.3, 1.0].map((coverage) => ({ coverage, results: at(coverage) }));

  it('includes about coverage x N units at each step (p > 0.001)', () => {
    for (const { coverage, results } of ramp) {
      const inside = results.filter((a) => a.inExperiment).length;
      if (coverage === 1) expect(inside).toBe(N);
      else expect(chiSquareGoodnessOfFit([inside, N - inside], [coverage, 1 - coverage])).toBeGreaterThan(P_MIN);
    }
  });

  it('raising coverage only adds units, and every unit keeps its variant', () => {
    for (let step = 1; step < ramp.length; step++) {
      const lower = ramp[step - 1].results;
      const higher = ramp[step].results;
      const broken = units.filter((_, i) => lower[i].inExperiment && (!higher[i].inExperiment || higher[i].variant !== lower[i].variant));
      expect(broken).toEqual([]);
    }
  });

  it('lowering coverage only removes units: whoever stays in keeps the variant', () => {
    for (let step = ramp.length - 1; step > 0; step--) {
      const higher = ramp[step].results;
      const lower = ramp[step - 1].results;
      const changed = units.filter((_, i) => lower[i].inExperiment && lower[i].variant !== higher[i].variant);
      const gained = units.filter((_, i) => lower[i].inExperiment && !higher[i].inExperiment);
      expect([changed, gained]).toEqual([[], []]);
      const removed = units.filter((_, i) => higher[i].inExperiment && !lower[i].inExperiment);
      expect(removed.length).toBeGreaterThan(0);
      expect(lower.filter((a) => !a.inExperiment && a.reason !== 'coverage')).toEqual([]);
    }
  });

  it('the split among included units keeps the weights at every step', () => {
    for (const { results } of ramp) {
      const inside = results.filter((a) => a.inExperiment).map((a) => a.variant);
      expect(chiSquareGoodnessOfFit(countBy(inside, ['control', 'b', 'c']), [1 / 6, 2 / 6, 3 / 6])).toBeGreaterThan(P_MIN);
    }
  });
});

describe('sticky assignments', () => {
  it('keep every exposed unit in its variant after coverage is lowered and targeting changed', () => {
    const before = compile(experiment({ salt: 'sticky', variants: threeWay, coverage: 1 }));
    const exposed = units.map((unitId) => assign({ unitId, attributes: { device: 'desktop' } }, before).variant);
    const after = compile(experiment({
      salt: 'sticky',
      variants: threeWay,
      coverage: 0.1,
      targeting: { attribute: 'device', op: 'eq', value: 'mobile' },
    }));
    let kept = 0;
    let lostWithoutSticky = 0;
    units.forEach((unitId, i) => {
      const unit = { unitId, attributes: { device: 'desktop' } };
      const a = assign(unit, after, { sticky: exposed[i] });
      if (a.variant === exposed[i] && a.inExperiment && a.reason === 'bucketed') kept++;
      if (assign(unit, after).reason === 'not_targeted') lostWithoutSticky++;
    });
    expect(kept).toBe(N);
    expect(lostWithoutSticky).toBe(N); // without sticky, the change would have moved everyone
  });
});

describe('layers', () => {
  const layerKey = 'homepage';
  const left = experiment({ key: 'left', salt: 'layer-left', variants: threeWay, layer: { key: layerKey, start: 0, end: 0.3 } });
  const right = experiment({ key: 'right', salt: 'layer-right', layer: { key: layerKey, start: 0.5, end: 1 } });
  const cl = compile(left);
  const cr = compile(right);
  const inLeft = units.map((unitId) => assign({ unitId }, cl));
  const inRight = units.map((unitId) => assign({ unitId }, cr));

  it('disjoint slices of one layer never share a unit', () => {
    const shared = units.filter((_, i) => inLeft[i].inExperiment && inRight[i].inExperiment);
    expect(shared).toEqual([]);
  });

  it('each slice receives its share of units and nobody else is in (p > 0.001)', () => {
    const counts = [0, 0, 0]; // left, right, neither (the free slice [0.3, 0.5))
    inLeft.forEach((a, i) => counts[a.inExperiment ? 0 : inRight[i].inExperiment ? 1 : 2]++);
    expect(chiSquareGoodnessOfFit(counts, [0.3, 0.5, 0.2])).toBeGreaterThan(P_MIN);
    expect(inLeft.filter((a) => !a.inExperiment && a.reason !== 'layer')).toEqual([]);
  });

  it('the split within each slice still matches the weights (p > 0.001)', () => {
    const leftVariants = inLeft.filter((a) => a.inExperiment).map((a) => a.variant);
    const rightVariants = inRight.filter((a) => a.inExperiment).map((a) => a.variant);
    expect(chiSquareGoodnessOfFit(countBy(leftVariants, ['control', 'b', 'c']), [1 / 6, 2 / 6, 3 / 6])).toBeGreaterThan(P_MIN);
    expect(chiSquareGoodnessOfFit(countBy(rightVariants, ['control', 'treatment']), [0.5, 0.5])).toBeGreaterThan(P_MIN);
  });

  it('overlap detection refuses a slice that would share units, and allows the free one', () => {
    const existing = [left, right];
    expect(findOverlap({ key: 'new', layer: { key: layerKey, start: 0.25, end: 0.5 } }, existing)?.key).toBe('left');
    expect(findOverlap({ key: 'new', layer: { key: layerKey, start: 0.3, end: 0.5 } }, existing)).toBeNull();
    // and the free slice really is disjoint: nobody in it is in left or right
    const middle = compile(experiment({ key: 'middle', salt: 'layer-middle', layer: { key: layerKey, start: 0.3, end: 0.5 } }));
    const clash = units.filter((unitId, i) => assign({ unitId }, middle).inExperiment && (inLeft[i].inExperiment || inRight[i].inExperiment));
    expect(clash).toEqual([]);
  });
});

describe('global holdout', () => {
  const holdout: HoldoutConfig = { share: 0.05 };
  const respecting = ['a', 'b', 'c'].map((k) => compile(experiment({ key: k, salt: `holdout-${k}`, variants: threeWay })));
  const ignoring = compile(experiment({ key: 'infra', salt: 'holdout-infra', variants: threeWay, respectsHoldout: false }));
  const results = units.map((unitId) => ({
    respecting: respecting.map((c) => assign({ unitId }, c, { holdout })),
    ignoring: assign({ unitId }, ignoring, { holdout }),
  }));
  const heldOut = results.filter((r) => r.respecting[0].reason === 'holdout');

  it('holds out about 5 % of units (binomial, p > 0.001)', () => {
    expect(chiSquareGoodnessOfFit([heldOut.length, N - heldOut.length], [0.05, 0.95])).toBeGreaterThan(P_MIN);
  });

  it('held-out units get control of every experiment that respects the holdout, flagged holdout', () => {
    const wrong = heldOut.flatMap((r) => r.respecting).filter((a) => a.variant !== 'control' || a.inExperiment || a.holdout !== true);
    expect(heldOut.length).toBeGreaterThan(0);
    expect(wrong).toEqual([]);
    // the same units, and only they, are held out of every respecting experiment
    const patterns = new Set(results.map((r) => r.respecting.map((a) => a.reason === 'holdout').join()));
    expect(patterns).toEqual(new Set(['true,true,true', 'false,false,false']));
  });

  it('held-out units are bucketed normally by an experiment that ignores the holdout', () => {
    const split = heldOut.map((r) => r.ignoring);
    expect(split.every((a) => a.reason === 'bucketed' && a.inExperiment && a.holdout === undefined)).toBe(true);
    expect(chiSquareGoodnessOfFit(countBy(split.map((a) => a.variant), ['control', 'b', 'c']), [1 / 6, 2 / 6, 3 / 6])).toBeGreaterThan(P_MIN);
  });
});

describe('multivariate 2 x 2 x 3', () => {
  const r = expandFactorial([
    { key: 'copy', levels: [{ key: 'generic' }, { key: 'personal' }] },
    { key: 'image', levels: [{ key: 'stock' }, { key: 'product' }] },
    { key: 'badge', levels: [{ key: 'none' }, { key: 'sale' }, { key: 'new' }] },
  ]);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const { variants, control } = r.design;

  it('has 12 cells with level-key names, unit weights and the first levels as control', () => {
    expect(variants).toHaveLength(12);
    expect(variants[0].key).toBe('generic.stock.none');
    expect(variants[11].key).toBe('personal.product.new');
    expect(control).toBe('generic.stock.none');
    expect(variants.every((v) => v.weight === 1)).toBe(true);
  });

  it('splits units equally across the 12 cells (p > 0.001) and reports each unit\'s factors', () => {
    const c = compile(experiment({ salt: 'mvt', variants, control }));
    const results = units.map((unitId) => assign({ unitId }, c));
    const keys = variants.map((v) => v.key);
    expect(chiSquareGoodnessOfFit(countBy(results.map((a) => a.variant), keys), keys.map(() => 1 / 12))).toBeGreaterThan(P_MIN);
    const wrongFactors = results.filter((a) => {
      const [copy, image, badge] = a.variant.split('.');
      return a.factors?.copy !== copy || a.factors?.image !== image || a.factors?.badge !== badge;
    });
    expect(wrongFactors).toEqual([]);
  });

  it('honours weights that are products of level weights (p > 0.001)', () => {
    const weighted = expandFactorial([
      { key: 'copy', levels: [{ key: 'generic', weight: 1 }, { key: 'personal', weight: 3 }] },
      { key: 'badge', levels: [{ key: 'none', weight: 2 }, { key: 'sale', weight: 1 }, { key: 'new', weight: 1 }] },
    ]);
    if (!weighted.ok) throw new Error('design');
    const vs = weighted.design.variants;
    expect(vs.map((v) => v.weight)).toEqual([2, 1, 1, 6, 3, 3]);
    const c = compile(experiment({ salt: 'mvt-weighted', variants: vs, control: weighted.design.control }));
    const counts = countBy(units.map((unitId) => assign({ unitId }, c).variant), vs.map((v) => v.key));
    expect(chiSquareGoodnessOfFit(counts, vs.map((v) => v.weight / 16))).toBeGreaterThan(P_MIN);
  });
});
