import { MAX_STORED_ATTRIBUTES, MAX_STORED_VALUE_LENGTH, segmentValues, storedAttributes } from '../../src/model/attributes';

/** What is stored of the attributes sent with a first exposure (model/attributes.ts). */
describe('storedAttributes', () => {
  test('keeps every attribute when few and short', () => {
    expect(storedAttributes({ device: 'mobile', lifecycle: 'new', visits: 3, member: true }, ['device'])).toEqual({ device: 'mobile', lifecycle: 'new', visits: 3, member: true });
    expect(storedAttributes(undefined, ['device'])).toEqual({});
  });

  test(`at most ${MAX_STORED_ATTRIBUTES} others, in the order sent; the segment attributes always, whatever their length`, () => {
    const sent: Record<string, string> = {};
    for (let i = 0; i < 30; i++) sent[`k${i}`] = `v${i}`;
    sent.device = 'd'.repeat(200);
    const stored = storedAttributes(sent, ['device', 'k29']);
    expect(stored.device).toBe('d'.repeat(200));
    expect(stored.k29).toBe('v29');
    expect(Object.keys(stored).filter((k) => k !== 'device' && k !== 'k29')).toEqual(Array.from({ length: MAX_STORED_ATTRIBUTES }, (_, i) => `k${i}`));
  });

  test(`a string over ${MAX_STORED_VALUE_LENGTH} characters is not stored (and does not count toward the bound) unless it is a segment attribute`, () => {
    const long = 'x'.repeat(MAX_STORED_VALUE_LENGTH + 1);
    const exact = 'y'.repeat(MAX_STORED_VALUE_LENGTH);
    expect(storedAttributes({ a: long, b: exact }, [])).toEqual({ b: exact });
    expect(storedAttributes({ a: long }, ['a'])).toEqual({ a: long });
  });

  test('segmentValues: only the segment attributes that were sent', () => {
    expect(segmentValues({ device: 'mobile', x: 1 }, ['device', 'channel'])).toEqual({ device: 'mobile' });
  });
});
