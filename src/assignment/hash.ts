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
 * MurmurHash3_x86_32 (seed 0) of an ASCII string, reading its UTF-16 code units as the bytes
 * (for ASCII they are the UTF-8 bytes): the same hash as the package's, without encoding the
 * input into a buffer first. The hot path of every assignment (server and SDK); the vectors
 * in test/vectors/bucketing.json pin it to the reference like the encoded path.
 */
function murmurAscii(input: string): number {
  const n = input.length;
  const blocks = n & ~3;
  let h = 0;
  let k: number;
  let i = 0;
  for (; i < blocks; i += 4) {
    k = input.charCodeAt(i) | (input.charCodeAt(i + 1) << 8) | (input.charCodeAt(i + 2) << 16) | (input.charCodeAt(i + 3) << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = n & 3;
  if (tail > 0) {
    k = 0;
    if (tail === 3) k ^= input.charCodeAt(i + 2) << 16;
    if (tail >= 2) k ^= input.charCodeAt(i + 1) << 8;
    k ^= input.charCodeAt(i);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Whether every code unit of the string is ASCII (then its UTF-8 bytes are its code units). */
function isAscii(input: string): boolean {
  for (let i = 0; i < input.length; i++) if (input.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** MurmurHash3_x86_32 (seed 0) of the UTF-8 bytes of salt + "/" + unitId, unsigned. */
export function hash32(salt: string, unitId: string): number {
  const input = salt + '/' + unitId;
  if (isAscii(input)) return murmurAscii(input);
  const { read, written } = encoder.encodeInto(input, scratch);
  // encodeInto stops when the buffer is full; fall back to a fresh array for huge inputs.
  const bytes = read === input.length ? scratch.subarray(0, written) : encoder.encode(input);
  return murmurhash.v3(bytes, 0);
}

/** hash32 / 2^32: a uniform number in [0, 1). */
export function bucket(salt: string, unitId: string): number {
  return hash32(salt, unitId) / TWO_POW_32;
}
