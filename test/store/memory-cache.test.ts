import { createMemoryCache } from '../../src/store/memory-cache';

/** The in-process cache (no REDIS_URL): bounded, least recently used out first, values expire. */
describe('the in-process cache', () => {
  test('holds at most maxEntries values; the least recently used goes first', async () => {
    const cache = createMemoryCache({ maxEntries: 3 });
    for (const k of ['a', 'b', 'c']) await cache.set(k, k.toUpperCase());
    expect(await cache.get('a')).toBe('A'); // a returning visitor's mark, read again
    await cache.set('d', 'D');
    expect(await cache.get('b')).toBeNull(); // written before a was read again, and not read since
    expect(await cache.mget(['a', 'c', 'd'])).toEqual(['A', 'C', 'D']);
    await cache.close();
  });

  test('a value with a time to live is gone after it; SET NX sees it gone', async () => {
    const cache = createMemoryCache();
    await cache.set('short', '1', 0.05);
    await cache.set('long', '2');
    expect(await cache.setIfAbsent('short', 'x')).toBe(false);
    await new Promise((r) => setTimeout(r, 80));
    expect(await cache.mget(['short', 'long'])).toEqual([null, '2']);
    expect(await cache.setIfAbsent('short', '3')).toBe(true);
    expect(await cache.get('short')).toBe('3');
    await cache.close();
  });
});
