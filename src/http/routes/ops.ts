import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Runtime } from '../../runtime';
import type { Handlers } from '../handlers';
import { locals } from '../locals';

/**
 * Operations: liveness, readiness, Prometheus metrics, the contract and its docs page.
 * The docs are Swagger UI served from the installed swagger-ui-dist package, so they
 * work without internet access.
 */
/** The docs page's one inline script (its hash is in the page's Content-Security-Policy: security-headers.ts). */
export const DOCS_SCRIPT = `
    window.ui = SwaggerUIBundle({ url: '/openapi.yaml', dom_id: '#docs', deepLinking: true });
  `;
const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Verdict API</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="docs"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script>${DOCS_SCRIPT}</script>
</body>
</html>
`;

const ASSET_TYPES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

/** Resolves with false when the promise rejects or takes longer than ms. */
async function within(ms: number, check: () => Promise<void>): Promise<{ ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

export async function readiness(rt: Pick<Runtime, 'db' | 'cache'>) {
  const [database, cache] = await Promise.all([
    within(2000, async () => void (await rt.db.query('SELECT 1'))),
    within(2000, () => rt.cache.ping()),
  ]);
  const checks = { database: { ...database, backend: rt.db.backend }, cache: { ...cache, backend: rt.cache.backend } };
  return { ready: database.ok && cache.ok, checks };
}

export function opsHandlers(rt: Runtime): Handlers {
  const assetsDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  const assets = new Map<string, Buffer>();
  return {
    getHealth: (_req, res) => void res.json({ status: 'ok' }),
    async getReadiness(_req, res) {
      const { ready, checks } = await readiness(rt);
      if (!ready) res.status(503).set('Retry-After', '5');
      res.json({ status: ready ? 'ready' : 'unavailable', checks });
    },
    async getMetrics(_req, res) {
      res.type(rt.metrics.contentType).send(await rt.metrics.metrics());
    },
    getOpenApi: (_req, res) => void res.type('application/yaml').send(rt.contract.text),
    getDocs: (_req, res) => void res.type('text/html; charset=utf-8').send(DOCS_HTML),
    getDocsAsset(_req, res) {
      const name = locals(res).params.asset;
      let body = assets.get(name);
      if (!body) assets.set(name, (body = readFileSync(path.join(assetsDir, name))));
      res.set('Cache-Control', 'public, max-age=86400').type(ASSET_TYPES[name]).send(body);
    },
  };
}
