import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { contract } from '../../src/contract';
import { validateResponse } from '../helpers/response-validator';
import { bearer, useWorld } from '../helpers/world';

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

test('src/contract/schema.ts is regenerated from the current openapi.yaml (npm run gen:api)', () => {
  const generated = execFileSync(
    process.execPath,
    ['node_modules/openapi-typescript/bin/cli.js', 'openapi.yaml', '--default-non-nullable', 'false'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  expect(readFileSync('src/contract/schema.ts', 'utf8')).toBe(generated);
});

test('every operation that needs a key names its scope in x-scope', () => {
  const paths = contract().document.paths as Record<string, Record<string, Record<string, unknown>>>;
  for (const op of contract().operations) {
    const declared = paths[op.path][op.method.toLowerCase()]['x-scope'];
    if (op.scope) expect({ op: op.operationId, declared }).toEqual({ op: op.operationId, declared: op.scope });
  }
});

test('every operation that needs a key says what it does in x-action (the words of its 403)', () => {
  const paths = contract().document.paths as Record<string, Record<string, Record<string, unknown>>>;
  for (const op of contract().operations) {
    const action = paths[op.path][op.method.toLowerCase()]['x-action'];
    if (op.scope) expect({ op: op.operationId, action }).toEqual({ op: op.operationId, action: expect.stringMatching(/^[a-z][A-Za-z' ]+$/) });
  }
});

describe('every documented operation is implemented', () => {
  const world = useWorld();

  test.each(contract().operations.map((op) => [op.operationId, op] as const))('%s', async (_id, op) => {
    const url = op.path.replace(/\{[^}]+\}/g, (m) => (m === '{asset}' ? 'swagger-ui.css' : m === '{id}' ? 'key_missing' : 'missing-thing'));
    if (op.operationId === 'streamConfig') {
      // An event stream stays open: only its status and first bytes are awaited.
      const res = await fetch(world.url + url, { headers: { Authorization: `Bearer ${world.adminKey}` } });
      expect(res.status).toBe(200);
      await res.body?.cancel();
      return;
    }
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

describe('the response checker the tests use', () => {
  const c = contract();
  const op = (id: string) => c.operations.find((o) => o.operationId === id)!;
  const problem = (status: number) => ({ type: 'about:blank', title: 'x', status, detail: 'x' });
  const PJ = 'application/problem+json';

  test('never accepts a 500, documented or not, on a known path or not', () => {
    for (const operation of [op('listExperiments'), op('createExperiment'), op('assign'), null]) {
      expect(validateResponse(operation, 500, PJ, problem(500))).not.toEqual([]);
    }
  });

  test('accepts the generic statuses any operation may answer, only as a Problem matching the status', () => {
    expect(validateResponse(op('listExperiments'), 405, PJ, problem(405))).toEqual([]);
    expect(validateResponse(op('listExperiments'), 503, PJ, problem(503))).toEqual([]);
    expect(validateResponse(op('createKey'), 404, PJ, problem(404))).toEqual([]);
    expect(validateResponse(op('listExperiments'), 404, PJ, { oops: true })).not.toEqual([]);
    expect(validateResponse(op('listExperiments'), 404, 'application/json', problem(404))).not.toEqual([]);
    expect(validateResponse(op('listExperiments'), 404, PJ, problem(400))).not.toEqual([]);
    expect(validateResponse(null, 404, PJ, problem(404))).toEqual([]);
    expect(validateResponse(null, 404, 'text/html', '<h1>Not Found</h1>')).not.toEqual([]);
  });

  test('rejects statuses an operation cannot answer', () => {
    // Public operations are never rate limited (429 is for keys); bodyless operations never answer 413 or 415; unknown paths only 404, 405, 503.
    expect(validateResponse(op('getHealth'), 429, PJ, problem(429))).not.toEqual([]);
    expect(validateResponse(op('listExperiments'), 429, PJ, problem(429))).toEqual([]);
    expect(validateResponse(op('listExperiments'), 413, PJ, problem(413))).not.toEqual([]);
    expect(validateResponse(op('revokeKey'), 415, PJ, problem(415))).not.toEqual([]);
    expect(validateResponse(op('createExperiment'), 413, PJ, problem(413))).toEqual([]);
    expect(validateResponse(null, 409, PJ, problem(409))).not.toEqual([]);
    expect(validateResponse(op('listExperiments'), 501, PJ, problem(501))).not.toEqual([]);
  });
});
