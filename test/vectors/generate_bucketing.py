#!/usr/bin/env python3
"""Generate test/vectors/bucketing.json with an implementation independent of the engine.

The contract (see src/assignment/hash.ts):
    hashInput = salt + "/" + unitId
    hash      = MurmurHash3_x86_32(utf8(hashInput), seed=0)   (unsigned 32-bit)
    bucket    = hash / 2**32                                   (a double in [0, 1))

MurmurHash3_x86_32 below is a line-by-line port of Austin Appleby's public-domain
reference (MurmurHash3.cpp in https://github.com/aappleby/smhasher), written for this
file only; it shares no code with the TypeScript engine or the `murmurhash` npm package.
Before writing anything the script checks it against published values (sources cited next
to each) and exits non-zero on any mismatch.

Run from the repository root:  python3 test/vectors/generate_bucketing.py
Deterministic: the same script always writes the same file.
"""
import json
import os
import sys

MASK = 0xFFFFFFFF


def _rotl32(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & MASK


def _fmix32(h: int) -> int:
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & MASK
    h ^= h >> 16
    return h


def murmur3_x86_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3_x86_32 of `data` (bytes), as an unsigned 32-bit int."""
    c1, c2 = 0xCC9E2D51, 0x1B873593
    length = len(data)
    h1 = seed & MASK
    nblocks = length // 4
    for i in range(nblocks):  # body: little-endian 4-byte blocks
        k1 = int.from_bytes(data[4 * i: 4 * i + 4], "little")
        k1 = (k1 * c1) & MASK
        k1 = _rotl32(k1, 15)
        k1 = (k1 * c2) & MASK
        h1 ^= k1
        h1 = _rotl32(h1, 13)
        h1 = (h1 * 5 + 0xE6546B64) & MASK
    tail = data[4 * nblocks:]
    k1 = 0
    if len(tail) >= 3:
        k1 ^= tail[2] << 16
    if len(tail) >= 2:
        k1 ^= tail[1] << 8
    if len(tail) >= 1:
        k1 ^= tail[0]
        k1 = (k1 * c1) & MASK
        k1 = _rotl32(k1, 15)
        k1 = (k1 * c2) & MASK
        h1 ^= k1
    h1 ^= length
    return _fmix32(h1)


def _smhasher_verification() -> int:
    """SMHasher's VerificationTest (KeysetTest.cpp): hash keys 0..255 bytes long
    (key[i] = i) with seed 256-i, concatenate the little-endian hashes, hash that
    with seed 0 and read the first 4 bytes little-endian."""
    key = bytes(range(256))
    hashes = b"".join(murmur3_x86_32(key[:i], 256 - i).to_bytes(4, "little") for i in range(256))
    return murmur3_x86_32(hashes, 0)


# (input bytes, seed, expected, source)
PUBLISHED = [
    # Ian Boyd, "MurmurHash3 test vectors", https://stackoverflow.com/a/31929528
    # (translated from SMHasher; byte-level vectors).
    (b"", 0, 0x00000000, "SO 31929528"),
    (b"", 1, 0x514E28B7, "SO 31929528"),
    (b"", 0xFFFFFFFF, 0x81F16F39, "SO 31929528"),
    (bytes([0xFF, 0xFF, 0xFF, 0xFF]), 0, 0x76293B50, "SO 31929528"),
    (bytes([0x21, 0x43, 0x65, 0x87]), 0, 0xF55B516B, "SO 31929528"),
    (bytes([0x21, 0x43, 0x65, 0x87]), 0x5082EDEE, 0x2362F9DE, "SO 31929528"),
    (bytes([0x21, 0x43, 0x65]), 0, 0x7E4A8634, "SO 31929528"),
    (bytes([0x21, 0x43]), 0, 0xA0F7B07A, "SO 31929528"),
    (bytes([0x21]), 0, 0x72661CF4, "SO 31929528"),
    (bytes(4), 0, 0x2362F9DE, "SO 31929528"),
    (bytes(3), 0, 0x85F0B427, "SO 31929528"),
    (bytes(2), 0, 0x30F4C306, "SO 31929528"),
    (bytes(1), 0, 0x514E28B7, "SO 31929528"),
    # Commonly published string vectors (seed 0): "hello" -> 613153351 = 0x248BFA47,
    # the pangram -> 0x2E4FF723 (both also in the brief for this file).
    (b"hello", 0, 613153351, "published"),
    (b"The quick brown fox jumps over the lazy dog", 0, 0x2E4FF723, "published"),
    # mmh3 (Python C extension wrapping Appleby's code), README quick start,
    # https://pypi.org/project/mmh3/ : hash("foo") == -156908512 (signed),
    # hash("foo", signed=False) == 4138058784, hash("foo", 42) == -1322301282 (signed).
    (b"foo", 0, 4138058784, "mmh3 README"),
    (b"foo", 42, (-1322301282) & MASK, "mmh3 README"),
    # A/B Smartly JavaScript SDK, src/__tests__/murmur3_32.test.js (UTF-8 encoded input):
    # https://github.com/absmartly/javascript-sdk/blob/311acea8966a0db92b8b7996c4d4752125fe968b/src/__tests__/murmur3_32.test.js
    ("test".encode("utf-8"), 0, 0xBA6BD213, "absmartly"),
    ("special characters açb↓c".encode("utf-8"), 0, 0xBE83B140, "absmartly"),
    ("special characters açb↓c".encode("utf-8"), 0xDEADBEEF, 0xF7FDD8A2, "absmartly"),
    ("special characters açb↓c".encode("utf-8"), 1, 0x293327B5, "absmartly"),
]

SMHASHER_VERIFICATION = 0xB0F57EE3  # SMHasher main.cpp, "Murmur3A" (MurmurHash3_x86_32)


def self_check() -> None:
    failures = []
    for data, seed, expected, source in PUBLISHED:
        got = murmur3_x86_32(data, seed)
        if got != expected:
            failures.append(f"{source}: {data!r} seed {seed:#x}: got {got:#010x}, want {expected:#010x}")
    got = _smhasher_verification()
    if got != SMHASHER_VERIFICATION:
        failures.append(f"SMHasher verification: got {got:#010x}, want {SMHASHER_VERIFICATION:#010x}")
    if failures:
        sys.exit("MurmurHash3 self-check FAILED:\n" + "\n".join(failures))


def utf16_length(s: str) -> int:
    """Length as JavaScript counts it (UTF-16 code units): the unit-id limit is 256."""
    return len(s.encode("utf-16-le")) // 2


def cases():
    salts = ["", "exp-checkout-button", "layer:homepage", "verdict-holdout", "a", "s3-price-test_2"]
    ids = []
    # Plain ASCII ids of every tail length (0..3 bytes past a 4-byte block) and typical shapes.
    ids += ["u", "u1", "u12", "u123", "u1234", "user-1", "user-42", "42", "0", "00000000"]
    ids += ["550e8400-e29b-41d4-a716-446655440000", "anon_7f3a9c", "USER-UPPER", "mixed.Case_id-9"]
    ids += [f"user-{n}" for n in range(1, 41)]
    # Separator and whitespace inside ids: the first "/" of hashInput still ends the salt.
    ids += ["a/b", "/leading", "trailing/", "//", "/", "with space", " leading-space", "trailing-space ",
            "tab\there", "new\nline", "a b/c d"]
    # Non-ASCII: Latin-1 range, CJK, emoji / astral plane, ZWJ sequences, combining marks, RTL.
    ids += ["üser-é", "用户42", "ユーザー", "사용자", "пользователь-7", "Ωmega", "naïve café",
            "😀", "user-😀", "🧪🧪🧪", "👩‍👩‍👧‍👦", "🇩🇪", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𠜎𠜱𠝹",
            "e\u0301", "\u00e9",  # decomposed vs precomposed é: different bytes, different hash
            "a\u0308\u0304", "مستخدم-٣", "משתמש", "\u202eevil", "\u00a0nbsp", "\u200bzero-width"]
    # Long ids up to the 256 UTF-16 code-unit limit.
    ids += ["x" * 255, "y" * 256, ("abc/" * 64)[:256], "é" * 256, "用" * 256, "😀" * 128,
            ("user-42-" * 40)[:256]]
    out = []
    for uid in ids:
        assert 1 <= utf16_length(uid) <= 256, uid
        for salt in salts:
            hash_input = salt + "/" + uid
            h = murmur3_x86_32(hash_input.encode("utf-8"), 0)
            out.append({
                "salt": salt,
                "unitId": uid,
                "hashInput": hash_input,
                "hash": h,
                "bucket": h / 2**32,  # exact: a 32-bit integer over a power of two
            })
    return out


def main() -> None:
    self_check()
    data = cases()
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bucketing.json")
    with open(path, "w", encoding="utf-8") as f:
        f.write("[\n")
        # One case per line; ensure_ascii keeps bidi / invisible characters as \\u escapes.
        f.write(",\n".join(json.dumps(c, ensure_ascii=True) for c in data))
        f.write("\n]\n")
    print(f"self-check passed ({len(PUBLISHED)} published vectors + SMHasher verification); "
          f"wrote {len(data)} cases to {path}")


if __name__ == "__main__":
    main()
