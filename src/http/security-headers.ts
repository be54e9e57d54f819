import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import { DASHBOARD_CSP_DIRECTIVES, isDashboardPath } from './routes/dashboard';
import { DOCS_SCRIPT } from './routes/ops';

/**
 * Security headers on every answer, by helmet (plain node req/res middleware, so the lean
 * assign route and the express routes share it, run once in front of both). The API answers
 * JSON, CSV and YAML, never a page to render: its Content-Security-Policy allows nothing
 * (`default-src 'none'; frame-ancestors 'none'`). The one page, the Swagger UI at /docs,
 * gets a policy that allows its own assets and its one inline script, by hash. The
 * dashboard (`/dashboard`, `/dashboard/*`) gets its own strict policy (routes/dashboard.ts:
 * this origin's script, style and API only, nothing inline) and no framing at all. Helmet's
 * other defaults stay: HSTS, nosniff, no framing, no referrer, no DNS prefetch, cross-origin
 * isolation headers.
 *
 * Cross-Origin-Resource-Policy is `cross-origin`: a storefront page on another origin reads
 * /v1/assign through CORS (cors.ts), and CORP must not undo what CORS allows.
 */
type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

const scriptHash = `'sha256-${createHash('sha256').update(DOCS_SCRIPT).digest('base64')}'`;

export function securityHeaders(): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  const common = { crossOriginResourcePolicy: { policy: 'cross-origin' as const } };
  const api: Middleware = helmet({
    ...common,
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  });
  const docs: Middleware = helmet({
    ...common,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", scriptHash],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
      },
    },
  });
  const dashboard: Middleware = helmet({
    ...common,
    contentSecurityPolicy: { useDefaults: false, directives: DASHBOARD_CSP_DIRECTIVES as Record<string, string[]> },
    xFrameOptions: { action: 'deny' },
  });
  const apiHeaders = recorded(api);
  const docsHeaders = recorded(docs);
  const dashboardHeaders = recorded(dashboard);
  return (req, res, next) => {
    const url = req.url ?? '/';
    const page = url === '/docs' || url.startsWith('/docs/') || url.startsWith('/docs?');
    const headers = isDashboardPath(url) ? dashboardHeaders : page ? docsHeaders : apiHeaders;
    for (let i = 0; i < headers.length; i++) res.setHeader(headers[i][0], headers[i][1]);
    next();
  };
}

/**
 * What a helmet middleware does to a response, recorded once: helmet's headers are fixed at
 * its creation (none depends on the request), so every request then gets the same headers
 * set directly, without walking helmet's chain of a dozen middlewares per request. Only
 * setHeader and removeHeader (X-Powered-By, which nothing here sets) are used by helmet;
 * anything else would make this throw at start, not serve different headers.
 */
function recorded(middleware: Middleware): readonly (readonly [string, string])[] {
  const headers = new Map<string, readonly [string, string]>();
  const res = {
    setHeader(name: string, value: string | number | readonly string[]) {
      if (typeof value !== 'string') throw new Error(`helmet set ${name} to a value that is not a string`);
      headers.set(name.toLowerCase(), [name, value]);
      return res;
    },
    removeHeader(name: string) {
      headers.delete(name.toLowerCase());
    },
  };
  let called = false;
  middleware({ method: 'GET', url: '/', headers: {} } as IncomingMessage, res as unknown as ServerResponse, (err) => {
    if (err) throw err;
    called = true;
  });
  if (!called) throw new Error('helmet did not finish synchronously');
  return [...headers.values()];
}
