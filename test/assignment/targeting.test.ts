/** Targeting: every operator, missing attributes, type mismatches, nesting, validation. */
import { matches, validateTargeting } from '../../src/assignment/targeting';
import type { Attributes, Targeting, TargetingOp } from '../../src/assignment/engine-types';

const attrs: Attributes = { device: 'mobile', country: 'DE', age: 34, visits: 0, premium: true, score: '10' };
const cond = (attribute: string, op: TargetingOp, value: unknown): Targeting => ({ attribute, op, value });

describe('matches: one condition', () => {
  // [description, condition, expected]
  const table: [string, Targeting, boolean][] = [
    ['eq string', cond('device', 'eq', 'mobile'), true],
    ['eq string, other value', cond('device', 'eq', 'desktop'), false],
    ['eq is case-sensitive', cond('device', 'eq', 'Mobile'), false],
    ['eq number', cond('age', 'eq', 34), true],
    ['eq boolean', cond('premium', 'eq', true), true],
    ['eq: number value vs string attribute is no match', cond('score', 'eq', 10), false],
    ['eq: string value vs number attribute is no match', cond('age', 'eq', '34'), false],
    ['eq: boolean vs string "true" is no match', cond('premium', 'eq', 'true'), false],
    ['eq: 0 is a value, not missing', cond('visits', 'eq', 0), true],
    ['eq: missing attribute', cond('plan', 'eq', 'pro'), false],
    ['neq other value', cond('device', 'neq', 'desktop'), true],
    ['neq same value', cond('device', 'neq', 'mobile'), false],
    ['neq type mismatch counts as different', cond('age', 'neq', '34'), true],
    ['neq: missing attribute matches', cond('plan', 'neq', 'pro'), true],
    ['in: member', cond('country', 'in', ['AT', 'DE', 'CH']), true],
    ['in: not a member', cond('country', 'in', ['FR', 'IT']), false],
    ['in: strict types (34 vs "34")', cond('age', 'in', ['34']), false],
    ['in: mixed-type list', cond('age', 'in', ['x', 34]), true],
    ['in: missing attribute', cond('plan', 'in', ['pro']), false],
    ['not_in: member', cond('country', 'not_in', ['DE']), false],
    ['not_in: not a member', cond('country', 'not_in', ['FR']), true],
    ['not_in: missing attribute matches', cond('plan', 'not_in', ['pro']), true],
    ['gt: greater', cond('age', 'gt', 30), true],
    ['gt: equal is not greater', cond('age', 'gt', 34), false],
    ['gte: equal', cond('age', 'gte', 34), true],
    ['lt: less', cond('age', 'lt', 35), true],
    ['lt: equal is not less', cond('age', 'lt', 34), false],
    ['lte: equal', cond('age', 'lte', 34), true],
    ['lte: 0 attribute', cond('visits', 'lte', 0), true],
    ['gt on a numeric string never matches', cond('score', 'gt', 1), false],
    ['lt on a numeric string never matches', cond('score', 'lt', 100), false],
    ['gte on a boolean never matches', cond('premium', 'gte', 0), false],
    ['gt: missing attribute', cond('plan', 'gt', 0), false],
    ['lte: missing attribute', cond('plan', 'lte', 0), false],
    ['exists true: present', cond('device', 'exists', true), true],
    ['exists true: present but falsy (0)', cond('visits', 'exists', true), true],
    ['exists true: missing', cond('plan', 'exists', true), false],
    ['exists false: missing', cond('plan', 'exists', false), true],
    ['exists false: present', cond('device', 'exists', false), false],
    ['inherited keys are missing ("toString")', cond('toString', 'exists', true), false],
    ['inherited keys are missing ("constructor" neq)', cond('constructor', 'neq', 'x'), true],
  ];

  it.each(table)('%s', (_, targeting, expected) => {
    expect(matches(targeting, attrs)).toBe(expected);
  });

  it('treats no attributes at all like every attribute missing', () => {
    expect(matches(cond('device', 'eq', 'mobile'), undefined)).toBe(false);
    expect(matches(cond('device', 'neq', 'mobile'), undefined)).toBe(true);
    expect(matches(cond('device', 'not_in', ['mobile']), {})).toBe(true);
    expect(matches(cond('device', 'exists', false), {})).toBe(true);
  });

  it('treats a non-scalar attribute value (e.g. null from JSON) as missing', () => {
    const weird = { device: null, nested: { a: 1 } } as unknown as Attributes;
    expect(matches(cond('device', 'exists', true), weird)).toBe(false);
    expect(matches(cond('nested', 'neq', 'x'), weird)).toBe(true);
  });
});

describe('matches: trees', () => {
  const mobileDE: Targeting = { all: [cond('device', 'eq', 'mobile'), cond('country', 'eq', 'DE')] };
  const table: [string, Targeting | null | undefined, boolean][] = [
    ['no targeting (null) matches everyone', null, true],
    ['no targeting (undefined) matches everyone', undefined, true],
    ['empty all is true', { all: [] }, true],
    ['empty any is false', { any: [] }, false],
    ['all: every child matches', mobileDE, true],
    ['all: one child fails', { all: [cond('device', 'eq', 'mobile'), cond('country', 'eq', 'FR')] }, false],
    ['any: one child matches', { any: [cond('country', 'eq', 'FR'), cond('age', 'gte', 18)] }, true],
    ['any: no child matches', { any: [cond('country', 'eq', 'FR'), cond('age', 'lt', 18)] }, false],
    ['nested: any of (all mobile DE) or premium=false', { any: [mobileDE, cond('premium', 'eq', false)] }, true],
    ['nested: all of (any FR, IT) and mobile', { all: [{ any: [cond('country', 'eq', 'FR'), cond('country', 'eq', 'IT')] }, cond('device', 'eq', 'mobile')] }, false],
    ['nested: deep all/any/all chain', { all: [{ any: [{ all: [{ any: [cond('age', 'gt', 30)] }] }] }] }, true],
    ['nested: empty any inside all makes it false', { all: [mobileDE, { any: [] }] }, false],
  ];
  it.each(table)('%s', (_, targeting, expected) => {
    expect(matches(targeting, attrs)).toBe(expected);
  });
});

describe('validateTargeting', () => {
  const nest = (depth: number): unknown => {
    let node: unknown = cond('age', 'gt', 1);
    for (let i = 1; i < depth; i++) node = { all: [node] };
    return node;
  };

  it('accepts valid trees, null and undefined', () => {
    expect(validateTargeting(null)).toEqual([]);
    expect(validateTargeting(undefined)).toEqual([]);
    expect(validateTargeting({ all: [] })).toEqual([]);
    expect(validateTargeting({ any: [cond('a', 'in', ['x', 1, true]), cond('b', 'exists', false)] })).toEqual([]);
    expect(validateTargeting(nest(8))).toEqual([]);
  });

  // [description, node, expected error paths]
  const table: [string, unknown, string[]][] = [
    ['not an object', 'device=mobile', ['targeting']],
    ['an array', [cond('a', 'eq', 1)], ['targeting']],
    ['unknown operator', { attribute: 'a', op: 'contains', value: 'x' }, ['targeting.op']],
    ['missing value', { attribute: 'a', op: 'eq' }, ['targeting.value']],
    ['empty attribute name', cond('', 'eq', 'x'), ['targeting.attribute']],
    ['eq with an object', cond('a', 'eq', { x: 1 }), ['targeting.value']],
    ['eq with null', cond('a', 'eq', null), ['targeting.value']],
    ['in with a scalar', cond('a', 'in', 'x'), ['targeting.value']],
    ['in with an empty array', cond('a', 'in', []), ['targeting.value']],
    ['not_in with a nested array', cond('a', 'not_in', ['x', ['y']]), ['targeting.value[1]']],
    ['gt with a numeric string', cond('a', 'gt', '5'), ['targeting.value']],
    ['lte with Infinity', cond('a', 'lte', Infinity), ['targeting.value']],
    ['exists with a string', cond('a', 'exists', 'yes'), ['targeting.value']],
    ['unknown key on a condition', { attribute: 'a', op: 'eq', value: 1, values: [1] }, ['targeting.values']],
    ['all and any in one node', { all: [], any: [] }, ['targeting']],
    ['all is not an array', { all: cond('a', 'eq', 1) }, ['targeting.all']],
    ['error deep inside, with its path', { all: [cond('a', 'eq', 1), { any: [cond('b', 'gt', 'x')] }] }, ['targeting.all[1].any[0].value']],
    ['nesting deeper than 8', nest(9), ['targeting.all[0].all[0].all[0].all[0].all[0].all[0].all[0].all[0]']],
  ];
  it.each(table)('%s', (_, node, paths) => {
    expect(validateTargeting(node).map((e) => e.path)).toEqual(paths);
  });

  it('allows 100 conditions and rejects 101', () => {
    const many = (n: number) => ({ any: Array.from({ length: n }, (_, i) => cond('a', 'eq', i)) });
    expect(validateTargeting(many(100))).toEqual([]);
    expect(validateTargeting(many(101))).toEqual([
      { path: 'targeting.any[100]', message: 'more than 100 conditions' },
    ]);
  });

  it('uses the given path prefix', () => {
    expect(validateTargeting(cond('a', 'gt', 'x'), 'experiments[3].targeting')[0].path).toBe('experiments[3].targeting.value');
  });
});
