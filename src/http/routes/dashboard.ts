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
 * styles and connections to this origin only: no inline script or style, no CDN, no frames
 * (served by security-headers.ts with helmet's other headers, framing denied).
 */
export const dashboardDir = path.join(projectRoot, 'dist', 'dashboard');

/**
 * The dashboard's Content-Security-Policy, as helmet's directives: security-headers.ts serves
 * it (with helmet's other headers) on `/dashboard` and `/dashboard/*` in place of the API's
 * policy, so there is one policy for these routes, set once.
 */
export const DASHBOARD_CSP_DIRECTIVES: Readonly<Record<string, readonly string[]>> = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
};

/** The header as helmet writes it: `default-src 'none';script-src 'self';...`. */
export const DASHBOARD_CSP = Object.entries(DASHBOARD_CSP_DIRECTIVES)
  .map(([name, values]) => `${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${values.join(' ')}`)
  .join(';');

/** Whether a request target is the dashboard's (its page or an asset), which gets the dashboard's policy. */
export const isDashboardPath = (url: string) => url === '/dashboard' || url.startsWith('/dashboard/') || url.startsWith('/dashboard?');

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
    getDashboard: (_req, res) => void res.set('Cache-Control', 'no-cache').type('text/html; charset=utf-8').send(DASHBOARD_HTML),
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
      res.set('Cache-Control', 'no-cache').type(ASSET_TYPES[name]).send(body);
    },
  };
}
