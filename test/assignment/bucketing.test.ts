/**
 * Rule 1 (bucketing) against test/vectors/bucketing.json, whose hashes were computed by an
 * independent pure-Python MurmurHash3 (test/vectors/generate_bucketing.py), not by the engine.
 */
import murmurhash from 'murmurhash';
import vectors from '../vectors/bucketing.json';
import { bucket, hash32, hashInput } from '../../src/assignment/hash';

interface Vector {
  salt: string;
  unitId: string;
  hashInput: string;
  hash: number;
  bucket: number;
}
const cases = vectors as Vector[];

describe('bucketing vectors', () => {
  it('cover the required shapes', () => {
    const ids = cases.map((c) => c.unitId);
    expect(cases.length).toBeGreaterThanOrEqual(200);
    expect(cases.some((c) => c.salt === '')).toBe(true);
    expect(ids).toEqual(expect.arrayContaining(['üser-é', '用户42', 'a/b', 'with space']));
    expect(ids.some((id) => id.length === 256)).toBe(true);
    expect(ids.some((id) => /\p{Extended_Pictographic}/u.test(id))).toBe(true); // astral plane
    expect(ids.some((id) => /\p{M}/u.test(id))).toBe(true); // combining marks
    expect(ids.some((id) => /[\u0590-\u06FF]/u.test(id))).toBe(true); // Hebrew / Arabic
  });

  it('the engine reproduces every hash input, hash and bucket exactly', () => {
    const mismatches = cases
      .map((c) => ({ ...c, got: [hashInput(c.salt, c.unitId), hash32(c.salt, c.unitId), bucket(c.salt, c.unitId)] }))
      .filter((c) => c.got[0] !== c.hashInput || c.got[1] !== c.hash || c.got[2] !== c.bucket);
    expect(mismatches).toEqual([]);
  });
});

describe('hash', () => {
  it('is murmurhash.v3(hashInput, 0), and the package hashes strings as UTF-8 (TextEncoder) bytes', () => {
    const utf8 = new TextEncoder();
    for (const c of cases) {
      expect(murmurhash.v3(c.hashInput, 0)).toBe(c.hash);
      expect(murmurhash.v3(utf8.encode(c.hashInput), 0)).toBe(c.hash);
    }
    // UTF-8 rather than UTF-16 or Latin-1: "é" is the two bytes C3 A9.
    expect(hash32('', 'é')).toBe(murmurhash.v3(Uint8Array.from([0x2f, 0xc3, 0xa9]), 0));
    expect(hash32('', 'é')).not.toBe(murmurhash.v3(Uint8Array.from([0x2f, 0xe9]), 0));
  });

  it('separates salt and unit id, so ("ab", "c") and ("a", "bc") are different inputs', () => {
    expect(hashInput('ab', 'c')).not.toBe(hashInput('a', 'bc'));
    expect(hash32('ab', 'c')).not.toBe(hash32('a', 'bc'));
  });

  it('gives the same result for inputs longer than the internal scratch buffer', () => {
    const salt = 's'.repeat(5000);
    const id = 'é'.repeat(256);
    expect(hash32(salt, id)).toBe(murmurhash.v3(new TextEncoder().encode(`${salt}/${id}`), 0));
    // and the short path is unaffected afterwards
    expect(hash32('', 'u')).toBe(cases.find((c) => c.hashInput === '/u')!.hash);
  });

  it('encodes a lone surrogate as U+FFFD, as TextEncoder does (validateUnitId rejects such ids)', () => {
    expect(hash32('x', 'a\uD800b')).toBe(hash32('x', 'a\uFFFDb'));
  });

  it('hashes from each salt prefix (0 to 3 bytes pending) exactly as over the encoded input, for every unit id length and a non-ASCII code unit anywhere', () => {
    const encoder = new TextEncoder();
    for (const salt of ['', 'a', 'ab', 'abc', 'abcd', 'hero', 'layer:checkout', 'sé']) {
      for (let length = 1; length <= 11; length++) {
        const ascii = 'visitor-12345'.slice(0, length).padEnd(length, 'x');
        const ids = [ascii, ...Array.from({ length }, (_, at) => ascii.slice(0, at) + 'é' + ascii.slice(at + 1))];
        for (const id of ids) expect([salt, id, hash32(salt, id)]).toEqual([salt, id, murmurhash.v3(encoder.encode(`${salt}/${id}`), 0)]);
      }
    }
  });
});
