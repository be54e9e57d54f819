/** Full factorial expansion and its validation (errors with field paths, never throws). */
import fc from 'fast-check';
import { expandFactorial, type Factor } from '../../src/assignment/factorial-design';

const factors: Factor[] = [
  { key: 'copy', levels: [{ key: 'generic' }, { key: 'personal', name: 'Personalised' }] },
  { key: 'image', name: 'Hero image', levels: [{ key: 'stock' }, { key: 'product', weight: 3 }] },
  { key: 'badge', levels: [{ key: 'none' }, { key: 'sale' }, { key: 'new', weight: 0.5 }] },
];

function expand(f: Factor[]) {
  const r = expandFactorial(f);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.design;
}

describe('expandFactorial', () => {
  it('builds every combination, first factor varying slowest', () => {
    const { variants, control } = expand(factors);
    expect(variants.map((v) => v.key)).toEqual([
      'generic.stock.none', 'generic.stock.sale', 'generic.stock.new',
      'generic.product.none', 'generic.product.sale', 'generic.product.new',
      'personal.stock.none', 'personal.stock.sale', 'personal.stock.new',
      'personal.product.none', 'personal.product.sale', 'personal.product.new',
    ]);
    expect(control).toBe('generic.stock.none');
  });

  it('records the levels of each cell, a readable name and the product of level weights', () => {
    const cell = expand(factors).variants.find((v) => v.key === 'personal.product.new')!;
    expect(cell.factors).toEqual({ copy: 'personal', image: 'product', badge: 'new' });
    expect(cell.name).toBe('copy: Personalised, Hero image: product, badge: new');
    expect(cell.weight).toBe(1 * 3 * 0.5);
    expect(expand(factors).variants[0].weight).toBe(1);
  });

  it('has as many cells as the product of level counts, with unique keys (property)', () => {
    const slug = fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/);
    const design = fc.uniqueArray(slug, { minLength: 1, maxLength: 3 }).chain((keys) =>
      fc.tuple(...keys.map((key) => fc.uniqueArray(slug, { minLength: 2, maxLength: 4 }).map((levels) => ({ key, levels: levels.map((l) => ({ key: l })) })))),
    );
    fc.assert(
      fc.property(design, (fs) => {
        const { variants, control } = expand(fs);
        const expected = fs.reduce((n, f) => n * f.levels.length, 1);
        return variants.length === expected && new Set(variants.map((v) => v.key)).size === expected && control === fs.map((f) => f.levels[0].key).join('.');
      }),
      { seed: 20240601, numRuns: 200 },
    );
  });

  // [description, input, expected error paths]
  const invalid: [string, unknown, string[]][] = [
    ['no factors', [], ['factors']],
    ['not an array', { key: 'a' }, ['factors']],
    ['a factor with one level', [{ key: 'a', levels: [{ key: 'x' }] }], ['factors[0].levels']],
    ['duplicate factor keys', [{ key: 'a', levels: [{ key: 'x' }, { key: 'y' }] }, { key: 'a', levels: [{ key: 'x' }, { key: 'y' }] }], ['factors[1].key']],
    ['duplicate level keys', [{ key: 'a', levels: [{ key: 'x' }, { key: 'x' }] }], ['factors[0].levels[1].key']],
    ['a key that is not a slug', [{ key: 'Copy', levels: [{ key: 'x.y' }, { key: 'y' }] }], ['factors[0].key', 'factors[0].levels[0].key']],
    ['a zero or negative weight', [{ key: 'a', levels: [{ key: 'x', weight: 0 }, { key: 'y', weight: -1 }] }], ['factors[0].levels[0].weight', 'factors[0].levels[1].weight']],
    ['65 cells or more', [{ key: 'a', levels: 'abcdefghi'.split('').map((key) => ({ key })) }, { key: 'b', levels: 'abcdefgh'.split('').map((key) => ({ key })) }], ['factors']],
  ];
  it.each(invalid)('rejects %s with field paths', (_, input, paths) => {
    const r = expandFactorial(input as Factor[]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.path)).toEqual(paths);
  });

  it('allows exactly 64 cells', () => {
    const eight = (key: string): Factor => ({ key, levels: 'abcdefgh'.split('').map((k) => ({ key: k })) });
    expect(expand([eight('a'), eight('b')]).variants).toHaveLength(64);
  });
});
