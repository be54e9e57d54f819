/**
 * Verdict assignment algorithm (public contract, v1). Everything below is exact: a
 * reimplementation in another language that follows it gives the same answer for every unit.
 *
 * 1. Bucket. bucket(salt, unitId):
 *    - hashInput = salt + "/" + unitId (plain string concatenation). Salts never contain
 *      "/", so the first "/" ends the salt; the empty salt gives "/" + unitId.
 *    - bytes = the UTF-8 encoding of hashInput. (Unit ids are well-formed Unicode; if a
 *      lone UTF-16 surrogate slips through, it is encoded as U+FFFD, as WHATWG TextEncoder does.)
 *    - hash = MurmurHash3_x86_32(bytes, seed 0) as an unsigned 32-bit integer
 *      (Austin Appleby's reference, "MurmurHash3_x86_32" in SMHasher).
 *    - bucket = hash / 2^32, a number in [0, 1) (exact in IEEE-754 double).
 *    Unit ids are 1 to 256 UTF-16 code units long (JavaScript string length; a character
 *    outside the Basic Multilingual Plane, such as most emoji, counts 2) and contain no
 *    unpaired surrogate. Any other Unicode is allowed, compared byte for byte: no
 *    normalisation, trimming or case folding ("e\u0301" and "\u00e9" are different units).
 *
 * 2. Variant ranges (computed once per experiment, in IEEE-754 double arithmetic, in the
 *    declared variant order): total = w_0 + w_1 + ... (left to right); n_i = w_i / total;
 *    c_0 = 0, c_{i+1} = c_i + n_i; variant i owns [c_i, c_i + coverage * n_i).
 *    A unit with b = bucket(experiment.salt, unitId) gets the first variant whose range
 *    contains b; if none does, it is not in the experiment (reason "coverage").
 *    Raising coverage only widens every range from its fixed left end, so it only adds
 *    units and no unit changes variant; lowering it only removes units.
 *
 * 3. Layers (mutual exclusion). An experiment in layer L owns a slice [start, end) of L's
 *    hash space. layerBucket = bucket("layer:" + L, unitId). The unit is eligible only if
 *    start <= layerBucket < end (else reason "layer"). Slices of one layer never overlap,
 *    so a unit is eligible for at most one experiment per layer. The layer bucket is
 *    independent of the experiment bucket, so the variant split inside a slice keeps the weights.
 *
 * 4. Global holdout { share, salt = "verdict-holdout" }: the unit is held out if
 *    bucket(salt, unitId) < share. A held-out unit that would otherwise have been bucketed
 *    into an experiment that respects the holdout gets its control instead (reason
 *    "holdout", holdout: true); other experiments ignore the holdout. Deciding it after
 *    layer and coverage makes the holdout group like-for-like with the bucketed units.
 *
 * 5. Targeting: a JSON tree of all / any / conditions on the request attributes
 *    (see targeting.ts). A unit that does not match gets the control (reason "not_targeted").
 *
 * 6. Decision for one unit and one experiment; the first rule that applies wins:
 *    a. status is not "running"                  -> control, reason "not_running"
 *    b. unit.consent === false                   -> control, reason "opted_out"
 *    c. overrides[unitId] is set                 -> that variant, reason "forced"
 *    d. a recorded first exposure (sticky):
 *       its variant, if still a variant         -> that variant, reason "bucketed"
 *       in the holdout, and respectsHoldout     -> control, reason "holdout"
 *    e. targeting does not match                 -> control, reason "not_targeted"
 *    f. in a layer and outside its slice         -> control, reason "layer"
 *    g. bucket outside every variant range       -> control, reason "coverage"
 *    h. in the holdout and respectsHoldout       -> control, reason "holdout"
 *    i. otherwise                                -> the variant of rule 2, reason "bucketed"
 *    inExperiment is true only for reason "bucketed" (forced QA traffic is never counted).
 *
 * This file implements rule 1: `murmurhash.v3` (npm "murmurhash" 2.0.1) over UTF-8 bytes, and for
 * ASCII input (nearly every unit id) the same function over the code units, without encoding.
 */
import murmurhash from 'murmurhash';

const TWO_POW_32 = 4294967296;
const encoder = new TextEncoder();
// Reused for every call (JavaScript is single-threaded and the hash keeps no reference):
// 256 code units of unit id encode to at most 768 bytes, so real inputs always fit.
const scratch = new Uint8Array(4096);

/** The exact string that is hashed. */
export function hashInput(salt: string, unitId: string): string {
  return salt + '/' + unitId;
}

/**
 * MurmurHash3_x86_32 (seed 0) of salt + "/" + unitId, for ASCII input (nearly every unit id),
 * reading UTF-16 code units as the bytes (for ASCII they are the UTF-8 bytes): the same hash
 * as the package's over the encoded bytes, without building the concatenated string or a
 * buffer. The hashing state after the prefix salt + "/" (whole 4-byte blocks mixed, 0 to 3
 * bytes pending) is computed once per salt (`prefixOf`), so each call only reads the unit id.
 * The hot path of every assignment (server and SDK); test/vectors/bucketing.json pins it to
 * the reference like the encoded path.
 */
export interface HashPrefix {
  /** The prefix string, salt + "/". */
  readonly text: string;
  /** Whether the prefix is ASCII (else every hash with it takes the encoded path). */
  readonly ascii: boolean;
  /** The hash state after the prefix's whole blocks. */
  readonly h: number;
  /** Its pending bytes (0 to 3), packed little-endian, and how many there are. */
  readonly k: number;
  readonly fill: number;
}

const mixBlock = (h: number, k: number): number => {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
};

function makePrefix(salt: string): HashPrefix {
  const text = salt + '/';
  let ascii = true;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) ascii = false;
  let h = 0;
  let k = 0;
  let fill = 0;
  if (ascii) {
    for (let i = 0; i < text.length; i++) {
      k |= text.charCodeAt(i) << (fill * 8);
      if (++fill === 4) {
        h = mixBlock(h, k);
        k = 0;
        fill = 0;
      }
    }
  }
  return Object.freeze({ text, ascii, h, k, fill });
}

// Salts are few (one per experiment, layer and holdout): their prefixes are kept, bounded.
const prefixes = new Map<string, HashPrefix>();
const MAX_PREFIXES = 10_000;

/** The hashing state after salt + "/" (cached per salt). */
export function prefixOf(salt: string): HashPrefix {
  let p = prefixes.get(salt);
  if (p === undefined) {
    if (prefixes.size >= MAX_PREFIXES) prefixes.clear();
    p = makePrefix(salt);
    prefixes.set(salt, p);
  }
  return p;
}

/** The hash of prefix + unitId when unitId is ASCII; -1 when it is not (the caller encodes). */
function murmurAsciiFrom(p: HashPrefix, unitId: string): number {
  const n = unitId.length;
  let h = p.h;
  let k = p.k;
  let fill = p.fill;
  let seen = 0; // every code unit OR-ed: above 0x7f means the input is not ASCII
  let i = 0;
  // Complete the prefix's pending block (when the unit id is long enough; the tail loop handles the rest).
  if (fill !== 0 && n >= 4 - fill) {
    if (fill === 1) {
      const c1 = unitId.charCodeAt(0);
      const c2 = unitId.charCodeAt(1);
      const c3 = unitId.charCodeAt(2);
      seen = c1 | c2 | c3;
      k |= (c1 << 8) | (c2 << 16) | (c3 << 24);
      i = 3;
    } else if (fill === 2) {
      const c2 = unitId.charCodeAt(0);
      const c3 = unitId.charCodeAt(1);
      seen = c2 | c3;
      k |= (c2 << 16) | (c3 << 24);
      i = 2;
    } else {
      const c3 = unitId.charCodeAt(0);
      seen = c3;
      k |= c3 << 24;
      i = 1;
    }
    h = mixBlock(h, k);
    k = 0;
    fill = 0;
  }
  // Whole blocks of the unit id.
  if (fill === 0) {
    const end = i + ((n - i) & ~3);
    for (; i < end; i += 4) {
      const c0 = unitId.charCodeAt(i);
      const c1 = unitId.charCodeAt(i + 1);
      const c2 = unitId.charCodeAt(i + 2);
      const c3 = unitId.charCodeAt(i + 3);
      seen |= c0 | c1 | c2 | c3;
      let b = c0 | (c1 << 8) | (c2 << 16) | (c3 << 24);
      b = Math.imul(b, 0xcc9e2d51);
      b = (b << 15) | (b >>> 17);
      b = Math.imul(b, 0x1b873593);
      h ^= b;
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    }
  }
  // The tail (fewer than 4 bytes, after the prefix's own when the unit id did not complete its block).
  for (; i < n; i++) {
    const c = unitId.charCodeAt(i);
    seen |= c;
    k |= c << (fill * 8);
    fill++;
  }
  if (seen > 0x7f) return -1;
  if (fill > 0) {
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= p.text.length + n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** MurmurHash3_x86_32 (seed 0) of the UTF-8 bytes of prefix.text + unitId, unsigned. */
export function hashWith(prefix: HashPrefix, unitId: string): number {
  if (prefix.ascii) {
    const h = murmurAsciiFrom(prefix, unitId);
    if (h >= 0) return h;
  }
  const input = prefix.text + unitId;
  const { read, written } = encoder.encodeInto(input, scratch);
  // encodeInto stops when the buffer is full; fall back to a fresh array for huge inputs.
  const bytes = read === input.length ? scratch.subarray(0, written) : encoder.encode(input);
  return murmurhash.v3(bytes, 0);
}

/** MurmurHash3_x86_32 (seed 0) of the UTF-8 bytes of salt + "/" + unitId, unsigned. */
export function hash32(salt: string, unitId: string): number {
  return hashWith(prefixOf(salt), unitId);
}

/** hashWith / 2^32: a uniform number in [0, 1). */
export function bucketWith(prefix: HashPrefix, unitId: string): number {
  return hashWith(prefix, unitId) / TWO_POW_32;
}

/** hash32 / 2^32: a uniform number in [0, 1). */
export function bucket(salt: string, unitId: string): number {
  return hash32(salt, unitId) / TWO_POW_32;
}
