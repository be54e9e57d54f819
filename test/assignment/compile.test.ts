/** compile(): validation with field paths, normalised ranges, isolation from later input edits. */
import { compile, InvalidExperimentError } from '../../src/assignment/compile';
import { validateExperiment } from '../../src/assignment/validate-experiment';
import { experiment } from './support';

describe('validateExperiment', () => {
  it('accepts a complete experiment', () => {
    expect(validateExperiment(experiment())).toEqual([]);
  });

  const table: [string, unknown, string[]][] = [
    ['not an object', null, ['(root)']],
    ['unknown status', experiment({ status: 'live' as never }), ['status']],
    ['salt with "/"', experiment({ salt: 'a/b' }), ['salt']],
    ['empty salt', experiment({ salt: '' }), ['salt']],
    ['salt in the layer namespace', experiment({ salt: 'layer:home' }), ['salt']],
    ['a single variant', experiment({ variants: [{ key: 'control', weight: 1 }] }), ['variants']],
    ['duplicate variant keys', experiment({ variants: [{ key: 'control', weight: 1 }, { key: 'control', weight: 1 }] }), ['variants[1].key']],
    ['negative weight', experiment({ variants: [{ key: 'control', weight: 1 }, { key: 'treatment', weight: -1 }] }), ['variants[1].weight']],
    ['all weights zero', experiment({ variants: [{ key: 'control', weight: 0 }, { key: 'treatment', weight: 0 }] }), ['variants']],
    ['NaN weight', experiment({ variants: [{ key: 'control', weight: NaN }, { key: 'treatment', weight: 1 }] }), ['variants[0].weight']],
    ['control not a variant', experiment({ control: 'baseline' }), ['control']],
    ['coverage above 1', experiment({ coverage: 1.2 }), ['coverage']],
    ['invalid targeting', experiment({ targeting: { attribute: 'a', op: 'gt', value: 'x' } }), ['targeting.value']],
    ['invalid layer', experiment({ layer: { key: 'home', start: 0.5, end: 0.2 } }), ['layer.end']],
    ['respectsHoldout missing', { ...experiment(), respectsHoldout: undefined }, ['respectsHoldout']],
    ['override to an unknown variant', experiment({ overrides: { 'qa-1': 'nope' } }), ['overrides["qa-1"]']],
    ['override for an invalid unit id', experiment({ overrides: { ['x'.repeat(257)]: 'control' } }), [`overrides[${JSON.stringify('x'.repeat(257))}]`]],
  ];
  it.each(table)('rejects %s', (_, input, paths) => {
    expect(validateExperiment(input).map((e) => e.path)).toEqual(paths);
  });
});

describe('compile', () => {
  it('throws InvalidExperimentError carrying the field errors', () => {
    expect.assertions(2);
    try {
      compile(experiment({ coverage: -1, control: 'x' }));
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidExperimentError);
      expect((e as InvalidExperimentError).errors.map((x) => x.path)).toEqual(['control', 'coverage']);
    }
  });

  it('normalises weights into contiguous ranges scaled by coverage', () => {
    const c = compile(experiment({
      variants: [{ key: 'a', weight: 1 }, { key: 'b', weight: 2 }, { key: 'c', weight: 1 }],
      control: 'a',
      coverage: 0.5,
    }));
    expect(c.starts).toEqual([0, 0.25, 0.75]);
    expect(c.ends).toEqual([0.125, 0.5, 0.875]);
  });

  it('ignores later changes to the input experiment', () => {
    const input = experiment({ targeting: { attribute: 'device', op: 'eq', value: 'mobile' } });
    const c = compile(input);
    input.variants[0].weight = 100;
    (input.targeting as { value: unknown }).value = 'desktop';
    expect(c.ends).toEqual([0.5, 1]);
    expect(c.targeting).toEqual({ attribute: 'device', op: 'eq', value: 'mobile' });
  });
});
