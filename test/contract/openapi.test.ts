import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { contract } from '../../src/runtime';
import { bearer, startWorld, type World } from '../helpers/world';

test('openapi.yaml is a valid OpenAPI 3.1 document', () => {
  // @seriousme/openapi-schema-validator validates against the official 3.1 JSON schema; it is
  // an ES module, so it runs in a child process.
  const script = `
    import { Validator } from '@seriousme/openapi-schema-validator';
    import { readFileSync } from 'node:fs';
    const v = new Validator();
    const r = await v.validate(readFileSync('openapi.yaml', 'utf8'));
    console.log(JSON.stringify({ valid: r.valid, version: v.version, errors: r.errors ?? null }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(JSON.parse(out)).toEqual({ valid: true, version: '3.1', errors: null });
});

test('src/api/schema.ts is regenerated from the current openapi.yaml (npm run gen:api)', () => {
  const generated = execFileSync(
    process.execPath,
    ['node_modules/openapi-typescript/bin/cli.js', 'openapi.yaml', '--default-non-nullable', 'false'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  expect(readFileSync('src/api/schema.ts', 'utf8')).toBe(generated);
});

test('every operation that needs a key names its scope in x-scope', () => {
  const paths = contract().document.paths as Record<string, Record<string, Record<string, unknown>>>;
  for (const op of contract().operations) {
    const declared = paths[op.path][op.method.toLowerCase()]['x-scope'];
    if (op.scope) expect({ op: op.operationId, declared }).toEqual({ op: op.operationId, declared: op.scope });
  }
});

describe('every documented operation is implemented', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(() => world.close());

  test.each(contract().operations.map((op) => [op.operationId, op] as const))('%s', async (_id, op) => {
    const url = op.path.replace(/\{[^}]+\}/g, (m) => (m === '{asset}' ? 'swagger-ui.css' : m === '{id}' ? 'key_missing' : 'missing-thing'));
    const res = await world.api[op.method.toLowerCase() as 'get'](url).set(bearer(world.adminKey));
    expect(res.status).not.toBe(501);
    expect(res.status).toBeLessThan(500);
  });
});

test('every schema in openapi.yaml compiles in strict mode (no misspelt or stray keywords)', () => {
  const schemas = Object.keys((contract().document.components as { schemas: Record<string, unknown> }).schemas);
  for (const name of schemas) expect(() => contract().schema(name)).not.toThrow();
  expect(schemas.length).toBeGreaterThan(30);
});
