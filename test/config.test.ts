import { ConfigError, loadConfig } from '../src/config';

/** Configuration from the environment: the server timeouts' defaults and their checks. */
test('server timeouts: documented defaults, configurable, and refused when they contradict each other', () => {
  expect(loadConfig({})).toMatchObject({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 65_000 });
  expect(loadConfig({ HEADERS_TIMEOUT_MS: '2000', REQUEST_TIMEOUT_MS: '5000', KEEP_ALIVE_TIMEOUT_MS: '1000' })).toMatchObject({
    headersTimeoutMs: 2000,
    requestTimeoutMs: 5000,
    keepAliveTimeoutMs: 1000,
  });
  expect(() => loadConfig({ HEADERS_TIMEOUT_MS: '20000', REQUEST_TIMEOUT_MS: '5000' })).toThrow(/HEADERS_TIMEOUT_MS .* REQUEST_TIMEOUT_MS/);
  expect(() => loadConfig({ REQUEST_TIMEOUT_MS: '0' })).toThrow(ConfigError);
  expect(() => loadConfig({ KEEP_ALIVE_TIMEOUT_MS: 'soon' })).toThrow(/KEEP_ALIVE_TIMEOUT_MS must be an integer/);
});

test('CORS_ORIGINS: none by default, a comma-separated list of origins or *, anything else refused', () => {
  expect(loadConfig({})).toMatchObject({ corsOrigins: [], corsMaxAgeSeconds: 600 });
  expect(loadConfig({ CORS_ORIGINS: 'https://shop.example, http://localhost:3000', CORS_MAX_AGE_SECONDS: '60' })).toMatchObject({
    corsOrigins: ['https://shop.example', 'http://localhost:3000'],
    corsMaxAgeSeconds: 60,
  });
  expect(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
  for (const bad of ['shop.example', 'https://shop.example/', 'https://shop.example/path', 'ftp://shop.example']) {
    expect(() => loadConfig({ CORS_ORIGINS: bad })).toThrow(/CORS_ORIGINS must list origins/);
  }
});
