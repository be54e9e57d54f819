import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { experimentBody } from '../helpers/fixtures';
import { bearer, startWorld, type World } from '../helpers/world';

/**
 * The browser bundle in real Chromium (Debian's, driven by playwright-core as in
 * test/dashboard): examples/browser/index.html, served from its own origin with the bundle
 * built by `npm run build:sdk`'s own command, with a browser key, against a real server that
 * allows that origin (CORS_ORIGINS). The page renders the variant and payload POST /v1/assign gives the same
 * visitor, and its exposure is stored once, across a reload too (the page sends it again;
 * the event id makes the server keep one).
 *
 * Without Chromium (CHROMIUM_PATH, default /usr/bin/chromium) the file is skipped with a
 * warning, except under VERDICT_REQUIRE_BROWSER=1 (set by .ci/run), where it fails.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`SKIPPED test/sdk/browser: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
const maybe = haveChromium ? describe : describe.skip;
if (!haveChromium && process.env.VERDICT_REQUIRE_BROWSER) test('Chromium is installed (VERDICT_REQUIRE_BROWSER: CI never skips the browser tests)', () => expect(CHROMIUM).toBe('an installed Chromium'));

const ROOT = path.join(__dirname, '../..');
/** The page has rendered an assignment: its last line ends with the reason, "(bucketed)". (A string: evaluated in the page.) */
const RENDERED = "/\\(\\w+\\)$/.test(document.getElementById('why')?.textContent ?? '')";

/** The bundle, built by package.json's build:sdk command into a temporary file (never a stale dist/). */
function buildBundle(): string {
  const script = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['build:sdk'];
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'verdict-sdk-')), 'verdict-sdk.min.js');
  const args = script.split(/\s+/).slice(1).map((a) => (a.startsWith('--outfile=') ? `--outfile=${out}` : a));
  if (!args.includes(`--outfile=${out}`)) throw new Error(`build:sdk names no --outfile: ${script}`);
  execFileSync(path.join(ROOT, 'node_modules/.bin/esbuild'), args, { cwd: ROOT, stdio: 'pipe' });
  return out;
}

/** The storefront's origin: the example page and the bundle at the paths the page expects, nothing else. */
function serveStorefront(bundle: string): Promise<http.Server> {
  const files: Record<string, [string, string]> = {
    '/examples/browser/': [path.join(ROOT, 'examples/browser/index.html'), 'text/html; charset=utf-8'],
    '/dist/sdk/verdict-sdk.min.js': [bundle, 'text/javascript; charset=utf-8'],
  };
  const server = http.createServer((req, res) => {
    const file = files[new URL(req.url ?? '/', 'http://x').pathname];
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': file[1], 'Cache-Control': 'no-store' }).end(readFileSync(file[0]));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

maybe('the example storefront page in Chromium', () => {
  let world: World;
  let storefront: http.Server;
  let origin: string;
  let browser: Browser;
  let assignKey: string;
  let browserKey: string;
  let experiment: string;
  const problems: string[] = [];
  const headlines: Record<string, string> = { control: 'Our bestsellers', personalized: 'Picked for you' };

  beforeAll(async () => {
    storefront = await serveStorefront(buildBundle());
    // The page's origin differs from the API's (another port): every call is cross-origin, allowed by CORS_ORIGINS.
    origin = `http://127.0.0.1:${(storefront.address() as AddressInfo).port}`;
    world = await startWorld({ corsOrigins: [origin] });
    assignKey = await world.key('assign');
    // The page embeds a browser key (an assign key that reads the browser-safe configuration only).
    browserKey = (await world.api.post('/v1/keys').set(bearer(world.adminKey)).send({ name: 'example page', scope: 'assign', browser: true }).expect(201)).body.secret;
    const body = experimentBody({
      respectsHoldout: false,
      overrides: { 'qa-dana': 'personalized' }, // a forced unit id: never shown to the page
      variants: [
        { key: 'control', name: 'Bestsellers', weight: 1, control: true, payload: { headline: headlines.control } },
        { key: 'personalized', name: 'Recently viewed', weight: 1, payload: { headline: headlines.personalized } },
      ],
    });
    const admin = bearer(world.adminKey);
    await world.api.post('/v1/experiments').set(admin).send(body).expect(201);
    await world.api.post(`/v1/experiments/${body.key}/start`).set(admin).expect(200);
    experiment = body.key;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => storefront?.close(r));
    await world?.close();
  });

  async function newPage(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      // A failed load is logged without its address: the response listener below names it.
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(`console: ${msg.text()}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} from ${r.request().method()} ${r.url()}`);
    });
    page.on('requestfailed', (r) => {
      // The open stream is cut when the page goes (reload, close): expected.
      const cut = r.failure()?.errorText === 'net::ERR_ABORTED' && new URL(r.url()).pathname === '/v1/config/stream';
      if (!cut) problems.push(`failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`);
    });
    return page;
  }
  const pageUrl = () => `${origin}/examples/browser/?${new URLSearchParams({ url: world.url, key: browserKey, experiment })}`;

  /** Opens the page and waits until it has rendered an assignment; the visitor id and what it shows. */
  async function render(page: Page, reload = false) {
    if (reload) await page.reload();
    else await page.goto(pageUrl());
    await page.waitForFunction(RENDERED);
    const why = await page.locator('#why').innerText();
    const [, unitId, variant, reason] = /^(\S+): (\S+) \((\w+)\)$/.exec(why)!;
    return { unitId, variant, reason, headline: await page.locator('#hero').innerText(), dataVariant: await page.locator('#hero').getAttribute('data-variant') };
  }

  /** What the server stored: units exposed per variant (GET /counts). */
  async function exposed(): Promise<Record<string, number>> {
    await world.rt.exposures.flush();
    const counts = await world.api.get(`/v1/experiments/${experiment}/counts`).set(bearer(world.adminKey)).expect(200);
    return Object.fromEntries((counts.body.overall as { variant: string; units: number }[]).map((v) => [v.variant, v.units]));
  }
  const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
  /** The counts once they satisfy `done` (exposures are written a moment after the 202); the last ones read after 10 s. */
  async function exposedWhen(done: (c: Record<string, number>) => boolean): Promise<Record<string, number>> {
    const until = Date.now() + 10_000;
    for (;;) {
      const c = await exposed();
      if (done(c) || Date.now() > until) return c;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits for the page to send its exposures (POST /v1/events), and for the server's answer. */
  const eventsSent = (page: Page) =>
    page.waitForResponse((r) => r.url() === `${world.url}/v1/events` && r.request().method() === 'POST', { timeout: 15_000 });

  test('renders the variant and payload the server gives the same visitor; its exposure is stored once, also after a reload', async () => {
    const context = await browser.newContext();
    const page = await newPage(context);
    const sent = eventsSent(page);
    const config = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/config');
    const first = await render(page);
    expect(first.unitId).toMatch(/^visitor-/);
    // The page read the browser-safe snapshot: no forced unit ids.
    const snapshot = await config;
    expect((await snapshot.json()).shape).toBe('browser');
    expect(await snapshot.text()).not.toContain('qa-dana');

    // POST /v1/assign for the same unit and attributes (track: false records nothing).
    const server = await world.api
      .post('/v1/assign')
      .set(bearer(assignKey))
      .send({ unitId: first.unitId, attributes: { device: 'desktop' }, experiments: [experiment], track: false })
      .expect(200);
    const answer = server.body.assignments[0];
    expect(answer.reason).toBe('bucketed');
    expect([first.variant, first.reason, first.dataVariant]).toEqual([answer.variant, answer.reason, answer.variant]);
    expect(first.headline).toBe(answer.payload.headline);
    expect(first.headline).toBe(headlines[answer.variant]);

    // The first page's batch leaves within a second; the cross-origin call was allowed (its answer reached the page).
    const response = await sent;
    expect([response.status(), await response.json()]).toEqual([200, { accepted: 1, duplicates: 0, rejected: [] }]);
    expect(response.headers()['access-control-allow-origin']).toBe(origin);
    expect(await exposedWhen((c) => total(c) > 0)).toEqual({ control: answer.variant === 'control' ? 1 : 0, personalized: answer.variant === 'personalized' ? 1 : 0 });

    // A reload: the same visitor id (localStorage), the same variant, and the exposure sent again (the
    // new page does not know the old one sent it), stored once.
    const resent = eventsSent(page);
    const again = await render(page, true);
    expect(again).toEqual(first);
    const second = await resent;
    expect([second.status(), await second.json()]).toEqual([200, { accepted: 0, duplicates: 1, rejected: [] }]);
    const after = await exposed();
    expect(total(after)).toBe(1);
    expect(after[answer.variant]).toBe(1);
    await context.close();
    expect(problems).toEqual([]);
  });

  test('other visitors (fresh browser profiles) each get its own server-chosen variant and one exposure each', async () => {
    const before = total(await exposed());
    for (let i = 0; i < 3; i++) {
      const context = await browser.newContext();
      const page = await newPage(context);
      const sent = eventsSent(page);
      const shown = await render(page);
      const answer = (
        await world.api.post('/v1/assign').set(bearer(assignKey)).send({ unitId: shown.unitId, attributes: { device: 'desktop' }, experiments: [experiment], track: false }).expect(200)
      ).body.assignments[0];
      expect([shown.variant, shown.headline]).toEqual([answer.variant, answer.payload.headline]);
      const response = await sent;
      expect([response.status(), await response.json()]).toEqual([200, { accepted: 1, duplicates: 0, rejected: [] }]);
      await context.close();
      expect(total(await exposedWhen((c) => total(c) > before + i))).toBe(before + i + 1);
    }
    expect(problems).toEqual([]);
  });

  test('from an origin CORS_ORIGINS does not name, the browser refuses the answers: the page shows its default (not_ready)', async () => {
    // The same page and server, the page reached as localhost instead of 127.0.0.1: another origin.
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(pageUrl().replace('//127.0.0.1:', '//localhost:'));
    await page.waitForFunction(RENDERED);
    expect(await page.locator('#why').innerText()).toMatch(/^visitor-\S+: default \(not_ready\)$/);
    expect(await page.locator('#hero').innerText()).toBe('Welcome');
    await context.close();
  });
});
