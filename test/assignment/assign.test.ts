/** assign(): the precedence of the decision rules, overrides, consent, sticky and factors. */
import { assign, assignAll } from '../../src/assignment/assign';
import { compile } from '../../src/assignment/compile';
import { expandFactorial } from '../../src/assignment/factorial-design';
import { bucket } from '../../src/assignment/hash';
import { isHeldOut } from '../../src/assignment/holdout';
import { layerBucket } from '../../src/assignment/layers';
import type { AssignableExperiment, HoldoutConfig, Targeting } from '../../src/assignment/engine-types';
import { compiled, experiment, unitIds } from './support';

const holdout: HoldoutConfig = { share: 0.5, salt: 'test-holdout' };
const layer = { key: 'home', start: 0, end: 0.5 };
const coverage = 0.5;
const salt = 'ladder';
const mobileOnly: Targeting = { attribute: 'device', op: 'eq', value: 'mobile' };

// A unit for which every rule would apply: held out, outside the layer slice and outside coverage
// (at coverage 0.5 the 50/50 ranges are [0, 0.25) and [0.5, 0.75); at coverage 1, [0.75, 1) is treatment).
const U = unitIds(10_000, 1).find(
  (id) => isHeldOut(holdout, id) && layerBucket('home', id) >= layer.end && bucket(salt, id) >= 0.75,
)!;

describe('precedence (first rule that applies wins)', () => {
  const base: AssignableExperiment = experiment({
    salt,
    coverage,
    layer,
    targeting: mobileOnly,
    overrides: { [U]: 'treatment' },
  });
  const desktop = { device: 'desktop' };
  const mobile = { device: 'mobile' };

  it('found a unit that every rule applies to', () => expect(U).toBeDefined());

  // Each step removes the condition that decided the previous one.
  const ladder: [string, AssignableExperiment, { consent?: boolean; attributes: Record<string, string> }, string | undefined, HoldoutConfig, string, string][] = [
    ['not running beats everything', { ...base, status: 'paused' }, { consent: false, attributes: desktop }, 'treatment', holdout, 'not_running', 'control'],
    ['opted out beats an override', base, { consent: false, attributes: desktop }, 'treatment', holdout, 'opted_out', 'control'],
    ['an override beats sticky', base, { attributes: desktop }, 'control', holdout, 'forced', 'treatment'],
    ['sticky beats targeting, holdout, layer, coverage', { ...base, overrides: {} }, { attributes: desktop }, 'treatment', holdout, 'bucketed', 'treatment'],
    ['not targeted beats holdout', { ...base, overrides: {} }, { attributes: desktop }, undefined, holdout, 'not_targeted', 'control'],
    ['layer beats holdout', { ...base, overrides: {} }, { attributes: mobile }, undefined, holdout, 'layer', 'control'],
    ['layer beats coverage', { ...base, overrides: {} }, { attributes: mobile }, undefined, { share: 0 }, 'layer', 'control'],
    ['coverage beats holdout', { ...base, overrides: {}, layer: null }, { attributes: mobile }, undefined, holdout, 'coverage', 'control'],
    ['coverage', { ...base, overrides: {}, layer: null }, { attributes: mobile }, undefined, { share: 0 }, 'coverage', 'control'],
    ['holdout (only units that would have been bucketed)', { ...base, overrides: {}, layer: null, coverage: 1 }, { attributes: mobile }, undefined, holdout, 'holdout', 'control'],
    ['bucketed', { ...base, overrides: {}, layer: null, coverage: 1 }, { attributes: mobile }, undefined, { share: 0 }, 'bucketed', 'treatment'],
  ];
  it.each(ladder)('%s', (_, exp, unit, sticky, hold, reason, variant) => {
    const a = assign({ unitId: U, ...unit }, compile(exp), { holdout: hold, sticky });
    expect(a.reason).toBe(reason);
    expect(a.variant).toBe(variant);
    expect(a.inExperiment).toBe(reason === 'bucketed');
    expect(a.holdout).toBe(reason === 'holdout' ? true : undefined);
    expect(a.experiment).toBe('exp');
  });
});

describe('a recorded holdout exposure is sticky (rule d)', () => {
  const base = experiment({ salt, coverage, layer, targeting: mobileOnly });
  it('stays in the holdout when targeting, layer or coverage would now exclude it, or the holdout share changed', () => {
    for (const hold of [holdout, { share: 0 }]) {
      const a = assign({ unitId: U, attributes: { device: 'desktop' } }, compile(base), { holdout: hold, recordedHoldout: true });
      expect(a).toMatchObject({ reason: 'holdout', variant: 'control', inExperiment: false, holdout: true });
    }
  });
  it('an override and a recorded variant still come first; an experiment that ignores the holdout ignores it', () => {
    expect(assign({ unitId: U }, compile({ ...base, overrides: { [U]: 'treatment' } }), { holdout, recordedHoldout: true }).reason).toBe('forced');
    expect(assign({ unitId: U }, compile(base), { holdout, sticky: 'treatment', recordedHoldout: true }).reason).toBe('bucketed');
    expect(assign({ unitId: U, attributes: { device: 'desktop' } }, compile({ ...base, respectsHoldout: false }), { holdout, recordedHoldout: true }).reason).toBe('not_targeted');
  });
  it('assignAll takes it per experiment key', () => {
    const [a] = assignAll({ unitId: U, attributes: { device: 'desktop' } }, [compile(base)], { holdout: { share: 0 }, recordedHoldout: new Set(['exp']) });
    expect(a.reason).toBe('holdout');
  });
});

describe('overrides (QA)', () => {
  const c = compiled({ overrides: { 'qa-1': 'treatment', 'qa-2': 'control' } });
  it('force the given variant and are never counted', () => {
    expect(assign({ unitId: 'qa-1' }, c)).toEqual({ experiment: 'exp', variant: 'treatment', inExperiment: false, reason: 'forced' });
    expect(assign({ unitId: 'qa-2' }, c).variant).toBe('control');
  });
  it('apply even to units outside coverage or the holdout', () => {
    const narrow = compiled({ coverage: 0, overrides: { 'qa-1': 'treatment' } });
    expect(assign({ unitId: 'qa-1' }, narrow, { holdout: { share: 1 } }).reason).toBe('forced');
  });
  it('do not leak through the prototype chain', () => {
    expect(assign({ unitId: 'constructor' }, c).reason).toBe('bucketed');
    expect(assign({ unitId: 'toString' }, c).reason).toBe('bucketed');
    const proto = compiled({ overrides: JSON.parse('{"__proto__": "treatment"}') as Record<string, string> });
    expect(assign({ unitId: '__proto__' }, proto).reason).toBe('forced');
    expect(assign({ unitId: 'someone-else' }, proto).reason).toBe('bucketed');
  });
});

describe('consent', () => {
  it('consent false gives control of every experiment, not counted', () => {
    const exps = [compiled(), compiled({ key: 'b', salt: 'b', respectsHoldout: false })];
    for (const a of assignAll({ unitId: 'u1', consent: false }, exps)) {
      expect(a).toMatchObject({ variant: 'control', inExperiment: false, reason: 'opted_out' });
    }
  });
  it('consent true or absent changes nothing', () => {
    const c = compiled();
    for (const id of unitIds(200, 3)) {
      expect(assign({ unitId: id, consent: true }, c)).toBe(assign({ unitId: id }, c));
    }
  });
});

describe('sticky', () => {
  const c = compiled({ coverage: 0 });
  it('keeps the exposed variant although the unit would now be outside coverage', () => {
    expect(assign({ unitId: 'u1' }, c).reason).toBe('coverage');
    expect(assign({ unitId: 'u1' }, c, { sticky: 'treatment' })).toMatchObject({ variant: 'treatment', inExperiment: true, reason: 'bucketed' });
  });
  it('is ignored when the variant no longer exists', () => {
    expect(assign({ unitId: 'u1' }, c, { sticky: 'removed-variant' }).reason).toBe('coverage');
  });
  it('does not override a stopped experiment or opting out', () => {
    expect(assign({ unitId: 'u1' }, compiled({ status: 'completed' }), { sticky: 'treatment' }).reason).toBe('not_running');
    expect(assign({ unitId: 'u1', consent: false }, c, { sticky: 'treatment' }).reason).toBe('opted_out');
  });
});

describe('holdout', () => {
  const held = unitIds(5000, 4).find((id) => isHeldOut({ share: 0.5 }, id))!;
  it('uses the default salt "verdict-holdout" when none is given', () => {
    expect(isHeldOut({ share: 0.5 }, held)).toBe(bucket('verdict-holdout', held) < 0.5);
    expect(assign({ unitId: held }, compiled(), { holdout: { share: 0.5 } }).reason).toBe('holdout');
  });
  it('is ignored by experiments that do not respect it', () => {
    expect(assign({ unitId: held }, compiled({ respectsHoldout: false }), { holdout: { share: 0.5 } }).reason).toBe('bucketed');
  });
  it('share 0 or no holdout config holds nobody out', () => {
    expect(assign({ unitId: held }, compiled(), { holdout: { share: 0 } }).reason).toBe('bucketed');
    expect(assign({ unitId: held }, compiled(), { holdout: null }).reason).toBe('bucketed');
  });
});

describe('multivariate results carry factors', () => {
  const r = expandFactorial([
    { key: 'copy', levels: [{ key: 'generic' }, { key: 'personal' }] },
    { key: 'badge', levels: [{ key: 'none' }, { key: 'sale' }] },
  ]);
  if (!r.ok) throw new Error('design');
  const c = compiled({
    variants: r.design.variants,
    control: r.design.control,
    targeting: { attribute: 'device', op: 'eq', value: 'mobile' },
  });
  it('for bucketed units: the factors of their cell', () => {
    const a = assign({ unitId: 'u1', attributes: { device: 'mobile' } }, c);
    expect(a.reason).toBe('bucketed');
    expect(a.factors).toEqual(r.design.variants.find((v) => v.key === a.variant)!.factors);
  });
  it('for units served control for another reason: the control cell factors', () => {
    const a = assign({ unitId: 'u1', attributes: { device: 'desktop' } }, c);
    expect(a).toEqual({ experiment: 'exp', variant: 'generic.none', inExperiment: false, reason: 'not_targeted', factors: { copy: 'generic', badge: 'none' } });
  });
  it('plain A/B results have no factors key', () => {
    expect('factors' in assign({ unitId: 'u1' }, compiled())).toBe(false);
  });
});

describe('results', () => {
  it('are frozen shared objects (copy before adding fields)', () => {
    const c = compiled();
    const a = assign({ unitId: 'u1' }, c);
    expect(Object.isFrozen(a)).toBe(true);
    expect(() => {
      (a as { variant: string }).variant = 'hacked';
    }).toThrow(TypeError);
  });

  it('assignAll gives exactly what assign gives, experiment by experiment', () => {
    const exps = [
      compiled({ key: 'a', salt: 'a' }),
      compiled({ key: 'b', salt: 'b', respectsHoldout: false, coverage: 0.5 }),
      compiled({ key: 'c', salt: 'c', layer: { key: 'home', start: 0.2, end: 0.7 } }),
      compiled({ key: 'd', salt: 'd', status: 'draft' }),
    ];
    const hold = { share: 0.2 };
    const sticky = { b: 'treatment' };
    for (const id of unitIds(2000, 5)) {
      const unit = { unitId: id };
      expect(assignAll(unit, exps, { holdout: hold, sticky })).toEqual(
        exps.map((c) => assign(unit, c, { holdout: hold, sticky: c.key === 'b' ? 'treatment' : undefined })),
      );
    }
  });
});

describe('the worked example in docs/assignment.md', () => {
  const c = compile(experiment({
    key: 'checkout-button',
    salt: 'exp-checkout-button',
    coverage: 0.5,
    layer: { key: 'homepage', start: 0.5, end: 1 },
  }));
  const hold = { share: 0.05 };
  it('user-42: not held out (0.449...), in the slice (0.513...), bucket 0.0888... is in control [0, 0.25)', () => {
    expect(assign({ unitId: 'user-42' }, c, { holdout: hold })).toEqual({ experiment: 'checkout-button', variant: 'control', inExperiment: true, reason: 'bucketed' });
  });
  it('用户42: layer bucket 0.0485... is outside the slice [0.5, 1)', () => {
    expect(assign({ unitId: '用户42' }, c, { holdout: hold }).reason).toBe('layer');
  });
});
