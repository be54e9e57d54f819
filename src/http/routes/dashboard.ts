import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { VerdictError } from '../../errors';
import { projectRoot } from '../../paths';
import type { Handlers } from '../handlers';
import { locals } from '../locals';

/**
 * The marketer's dashboard (docs/dashboard.md): `/` redirects to `/dashboard`, which serves one
 * HTML page and its two assets, built from dashboard/ by esbuild into dist/dashboard at install
 * time (`npm run build`). The page is a client of the API like any other: it holds a key for
 * the browser session and calls /v1 with it. A strict Content-Security-Policy allows scripts,
 * styles and connections to this origin only: no inline script or style, no CDN, no frames.
 */
export const dashboardDir = path.join(projectRoot, 'dist', 'dashboard');

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'Content-Security-Policy': DASHBOARD_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Verdict</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="color-scheme" content="light dark">
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/dashboard/app.css">
  <script src="/dashboard/app.js" defer></script>
</head>
<body>
  <a class="skip" href="#main">Skip to content</a>
  <div id="app"><noscript>The Verdict dashboard needs JavaScript.</noscript></div>
</body>
</html>
`;

const ASSET_TYPES: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

export function dashboardHandlers(): Handlers {
  const assets = new Map<string, Buffer>();
  return {
    getRoot: (_req, res) => void res.status(302).set('Location', '/dashboard').end(),
    getDashboard: (_req, res) => void res.set(SECURITY_HEADERS).set('Cache-Control', 'no-cache').type('text/html; charset=utf-8').send(DASHBOARD_HTML),
    async getDashboardAsset(_req, res) {
      const name = locals(res).params.asset;
      let body = assets.get(name);
      if (!body) {
        try {
          body = await readFile(path.join(dashboardDir, name));
        } catch {
          throw new VerdictError('not_found', `the dashboard is not built (${name} is missing): run npm run build`);
        }
        assets.set(name, body);
      }
      res.set(SECURITY_HEADERS).set('Cache-Control', 'no-cache').type(ASSET_TYPES[name]).send(body);
    },
  };
}
