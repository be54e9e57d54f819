/**
 * The attributes stored with a unit's first exposure to an experiment, so that a segment
 * attribute added to the experiment later can still break down the units exposed before
 * (store/exposure-store.ts re-cells them). Bounded, silently (assignment and ingestion never
 * fail for it): every attribute the experiment breaks its results down by now is kept as
 * sent; of the others, the first MAX_STORED_ATTRIBUTES in the order sent whose value is a
 * number, a boolean or a string of at most MAX_STORED_VALUE_LENGTH characters. Anything beyond
 * is not stored: a segment added later on such an attribute reports those units as not sent.
 * Pure.
 */
export type AttributeValue = string | number | boolean;
export type Attributes = Record<string, AttributeValue>;

export const MAX_STORED_ATTRIBUTES = 20;
export const MAX_STORED_VALUE_LENGTH = 64;

/** The values of the experiment's segment attributes among those sent. */
export function segmentValues(attributes: Attributes | undefined, segments: readonly string[]): Attributes {
  const values: Attributes = {};
  if (!attributes) return values;
  for (const s of segments) if (Object.hasOwn(attributes, s)) values[s] = attributes[s];
  return values;
}

/** What is stored of the attributes sent: the segment attributes, then up to 20 short others. */
export function storedAttributes(attributes: Attributes | undefined, segments: readonly string[]): Attributes {
  const stored = segmentValues(attributes, segments);
  if (!attributes) return stored;
  let others = 0;
  for (const [k, v] of Object.entries(attributes)) {
    if (others >= MAX_STORED_ATTRIBUTES) break;
    if (Object.hasOwn(stored, k)) continue;
    if (typeof v === 'string' && v.length > MAX_STORED_VALUE_LENGTH) continue;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') continue;
    stored[k] = v;
    others++;
  }
  return stored;
}
