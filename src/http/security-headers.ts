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
  return (req, res, next) => {
    const url = req.url ?? '/';
    const page = url === '/docs' || url.startsWith('/docs/') || url.startsWith('/docs?');
    (isDashboardPath(url) ? dashboard : page ? docs : api)(req, res, () => next());
  };
}
