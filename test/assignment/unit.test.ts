/** Unit validation: the unit-id rules of the contract (1..256 UTF-16 code units, well-formed). */
import { validateUnit, validateUnitId } from '../../src/assignment/unit';

describe('validateUnitId', () => {
  const valid: [string, string][] = [
    ['one character', 'u'],
    ['256 ASCII characters', 'x'.repeat(256)],
    ['128 emoji = 256 UTF-16 code units', '😀'.repeat(128)],
    ['slash and spaces', 'a/b c'],
    ['combining marks and RTL', 'e\u0301 مستخدم'],
  ];
  it.each(valid)('accepts %s', (_, id) => expect(validateUnitId(id)).toEqual([]));

  const invalid: [string, unknown][] = [
    ['the empty string', ''],
    ['257 characters', 'x'.repeat(257)],
    ['129 emoji (258 code units)', '😀'.repeat(129)],
    ['a lone high surrogate', 'a\uD800'],
    ['a lone low surrogate', '\uDC00b'],
    ['U+0000 (PostgreSQL cannot store it)', 'bad\u0000id'],
    ['a number', 42],
    ['null', null],
  ];
  it.each(invalid)('rejects %s', (_, id) => expect(validateUnitId(id)).toHaveLength(1));
});

describe('validateUnit', () => {
  it('accepts a unit with attributes and consent', () => {
    expect(validateUnit({ unitId: 'u1', attributes: { device: 'mobile', age: 3, vip: false }, consent: true })).toEqual([]);
  });
  it('refuses attribute values the database could not store (U+0000, an unpaired surrogate)', () => {
    const errors = validateUnit({ unitId: 'u1', attributes: { device: 'mob\u0000ile', channel: 'x\uD800', ok: 'e\u0301 😀' } });
    expect(errors.map((e) => e.path)).toEqual(['attributes.device', 'attributes.channel']);
  });
  it('reports every bad field with its path', () => {
    const errors = validateUnit({ unitId: '', attributes: { tags: ['a'], n: null, ok: 'x' }, consent: 'no' }, 'unit');
    expect(errors.map((e) => e.path)).toEqual(['unit.unitId', 'unit.attributes.tags', 'unit.attributes.n', 'unit.consent']);
  });
});
