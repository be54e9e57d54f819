import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { count, interval, lift, pValue, percent } from '../../dashboard/src/format';
import { DASHBOARD_CSP } from '../../src/http/routes/dashboard';
import { bearer, useWorld } from '../helpers/world';
import { buildDemo, DEMO_DAYS, DRAFT, STILL_RUNNING } from './demo-data';

/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core, against a
 * server holding the demo's data (the bakery of `npm run demo`, small: demo-data.ts), played
 * through the API on the demo clock. Signs in, opens every page
 * and checks the numbers shown against the API's, creates an experiment through the form and
 * starts it, refuses a wrong key, and runs axe (no serious or critical violation) on each
 * page, in light and dark, at desktop and phone widths. Screenshots go to
 * VERDICT_SCREENSHOTS (docs/screenshots with `npm run screenshots`), else a temporary folder.
 *
 * Without Chromium (CHROMIUM_PATH, default /usr/bin/chromium) the file is skipped with a
 * warning, except under VERDICT_REQUIRE_BROWSER=1 (set by .ci/run, which installs Chromium),
 * where it fails.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`SKIPPED test/dashboard: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
const maybe = haveChromium ? describe : describe.skip;
if (!haveChromium && process.env.VERDICT_REQUIRE_BROWSER) test('Chromium is installed (VERDICT_REQUIRE_BROWSER: CI never skips the browser tests)', () => expect(CHROMIUM).toBe('an installed Chromium'));

const shots = process.env.VERDICT_SCREENSHOTS ? path.resolve(process.env.VERDICT_SCREENSHOTS) : mkdtempSync(path.join(os.tmpdir(), 'verdict-shots-'));
mkdirSync(shots, { recursive: true });

/* eslint-disable @typescript-eslint/no-explicit-any */
maybe('the dashboard in Chromium', () => {
  // Results read fresh (no 5 s cache), so the page and the test's own API reads see the same counts.
  const world = useWorld({ demoClock: true, resultsCacheSeconds: 0 });
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let readKey: string;
  const problems: string[] = [];
  const api = async (p: string) => (await world.api.get(p).set(bearer(world.adminKey)).expect(200)).body;

  beforeAll(async () => {
    readKey = (await buildDemo(world.url, world.adminKey)).readKey;
    // First exposures are written in batches: every one of the demo's is stored before anything is read.
    await world.rt.exposures.flush();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
    page = await context.newPage();
    // Any script error or CSP violation fails the file (checked in the last test).
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      // A refused request (the wrong key's 401, the form's 400) is logged by the browser as a failed load: expected.
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(`console: ${msg.text()}`);
    });
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
  });

  const open = async (hash: string) => {
    await page.evaluate('delete document.body.dataset.ready');
    await page.goto(`${world.url}/dashboard${hash}`);
    await page.waitForSelector('body[data-ready="true"]');
  };
  const signIn = async (key: string) => {
    await page.goto(`${world.url}/dashboard`);
    await page.fill('#api-key', key);
    await page.click('button[type=submit]');
  };
  async function accessible(label: string) {
    const { violations } = await new AxeBuilder({ page }).analyze();
    const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${label}: ${v.id} (${v.impact}) on ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
    expect(bad).toEqual([]);
  }
  const text = (selector: string) => page.locator(selector).innerText();

  test('/ redirects to the dashboard; the page and its assets carry the dashboard\'s strict Content-Security-Policy, helmet\'s other headers beside it', async () => {
    const res = await fetch(`${world.url}/`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/dashboard');
    for (const p of ['/dashboard', '/dashboard/app.js', '/dashboard/app.css']) {
      const r = await fetch(`${world.url}${p}`);
      expect([p, r.status]).toEqual([p, 200]);
      // Exactly the dashboard's policy (one header, not helmet's API policy, not merged with it).
      expect([p, r.headers.get('content-security-policy')]).toEqual([p, DASHBOARD_CSP]);
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
      expect(r.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
      expect(r.headers.get('x-powered-by')).toBeNull();
    }
    expect(DASHBOARD_CSP).toMatch(/default-src 'none'.*script-src 'self'.*style-src 'self'.*connect-src 'self'.*frame-ancestors 'none'/);
    expect(DASHBOARD_CSP).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    // A missing asset is a 404 problem, still under the strict policy; the API keeps its own.
    const missing = await fetch(`${world.url}/dashboard/nope.js`);
    expect(missing.status).toBeGreaterThanOrEqual(400);
    expect(missing.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    const apiAnswer = await fetch(`${world.url}/v1/experiments`, { headers: bearer(readKey) });
    expect(apiAnswer.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
  });

  test('a wrong key is refused, an assign key too; nothing is shown without a valid key', async () => {
    await signIn('vk_not-a-real-key');
    await page.locator('#sign-in-error').filter({ hasText: /This key was refused/ }).waitFor();
    await signIn(await world.key('assign'));
    await page.locator('#sign-in-error').filter({ hasText: /cannot read experiments/ }).waitFor();
    expect(await page.locator('#experiments').count()).toBe(0);
    await accessible('sign-in');
  });

  test('experiments list: every experiment, with the API\'s days, units, lift and decision; filters and search', async () => {
    await signIn(readKey);
    await page.waitForSelector('#experiments tbody tr');
    await page.waitForSelector('body[data-ready="true"]');
    const listed = (await api('/v1/experiments')).items as { key: string; status: string; tactic: string }[];
    // The demo's programme: eight experiments of four tactics played for the simulated days, and a draft.
    expect(listed.length).toBe(9);
    expect(listed.filter((e) => e.status === 'running').map((e) => e.key).sort()).toEqual([...STILL_RUNNING].sort());
    expect(await page.locator('#experiments tbody tr').count()).toBe(listed.length);
    for (const e of listed.filter((x) => x.status !== 'draft')) {
      const d = await api(`/v1/experiments/${e.key}/decision`);
      const row = page.locator(`#experiments tr[data-key="${e.key}"]`);
      const c = d.primary.find((x: any) => x.variant === d.variant) ?? [...d.primary].sort((a: any, b: any) => (b.relative.estimate ?? -Infinity) - (a.relative.estimate ?? -Infinity))[0];
      expect(await row.locator('[data-col=decision]').innerText()).toBe(d.decision.toUpperCase());
      expect(await row.locator('[data-col=units]').innerText()).toBe(count(d.srm.observed.reduce((a: number, o: any) => a + o.units, 0)));
      expect(await row.locator('[data-col=lift]').innerText()).toContain(lift(c.relative.estimate));
      expect(await row.locator('[data-col=days]').innerText()).toBe(String(Math.floor(d.daysRunning)));
    }
    await page.screenshot({ path: path.join(shots, 'experiments.png'), fullPage: true });
    await accessible('experiments');

    await page.selectOption('#filter-status', 'completed');
    expect(await page.locator('#experiments tbody tr').count()).toBe(listed.filter((e) => e.status === 'completed').length);
    await page.selectOption('#filter-status', '');
    await page.selectOption('#filter-tactic', 'personalized-email');
    expect(await page.locator('#experiments tbody tr').count()).toBe(listed.filter((e: any) => e.tactic === 'personalized-email').length);
    expect(await page.locator(`#experiments tr[data-key="${DRAFT.key}"] [data-col=decision]`).innerText()).toBe('draft');
    await page.selectOption('#filter-tactic', '');
    await page.fill('#search', 'hero block');
    expect(await page.locator('#experiments tbody tr').count()).toBe(1);
    // CSV of the rows shown.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('.filters .csv')]);
    const csv = await new Promise<string>((resolve, reject) => {
      download.createReadStream().then((s) => {
        let t = '';
        s.on('data', (c) => (t += c));
        s.on('end', () => resolve(t));
        s.on('error', reject);
      }, reject);
    });
    expect(csv.split('\r\n')[1]).toMatch(/^landing-hero-mvt,/);
  });

  test('experiment page: the verdict sentence names the segment decision; the tables, for whom (raw and shrunk, the heterogeneity verdict) and the lift over time equal the API', async () => {
    // Recently viewed items in the basket: planted to win for returning customers only.
    const key = 'reco-basket-recent';
    await open(`#/experiments/${key}`);
    const results = await api(`/v1/experiments/${key}/results`);
    const decision = await api(`/v1/experiments/${key}/decision`);
    const daily = await api(`/v1/experiments/${key}/results/daily`);
    expect(decision.segments).toMatchObject({ attribute: 'lifecycle', ship_to: ['returning'] });
    const c = decision.primary.find((x: any) => x.variant === decision.variant) ?? decision.primary[0];
    const headline = await text('#headline');
    expect(headline).toContain(`by ${percent(Math.abs(c.relative.estimate))}`);
    expect(headline).toContain(`(95 % CI ${interval(c.relative.ci)})`);
    expect(headline).toContain('ready to ship to returning customers (lifecycle)');
    expect(await page.locator('.verdict-card .badge').innerText()).toBe(decision.decision.toUpperCase());
    for (const m of results.metrics) {
      const table = page.locator(`table.results[data-metric="${m.key}"]`);
      for (const arm of m.overall.variants) {
        const row = table.locator(`tr[data-variant="${arm.variant}"]`);
        expect(await row.locator('[data-col=units]').innerText()).toBe(count(arm.units));
        const cmp = m.overall.comparisons.find((x: any) => x.variant === arm.variant);
        if (!cmp) continue;
        expect(await row.locator('[data-col=lift]').innerText()).toBe(lift(cmp.relative.estimate));
        expect(await row.locator('[data-col=ci]').innerText()).toBe(interval(cmp.relative.ci));
        expect(await row.locator('[data-col=p]').innerText()).toBe(pValue(cmp.pValueAdjusted ?? cmp.pValue));
        expect(await row.locator('[data-col=beat]').innerText()).toBe(percent(cmp.chanceToBeatControl, 0));
      }
    }
    expect(await page.locator('table.results[data-metric="bounce"] caption').innerText()).toContain('Guardrail');
    // For whom: per attribute of the decided metric, the API's forWhom block: one forest plot,
    // one row per value in the API's order, raw and shrunk lifts, the summary and the verdict.
    const primary = results.metrics.find((m: any) => m.key === decision.metric);
    const blocks = primary.forWhom.filter((f: any) => f.variant === decision.variant);
    expect(blocks.map((f: any) => f.attribute).sort()).toEqual(['channel', 'device', 'lifecycle']);
    for (const f of blocks) {
      const block = page.locator(`.for-whom-attribute[data-attribute="${f.attribute}"]`);
      expect(await block.locator('canvas').count()).toBe(1);
      expect(await block.getAttribute('data-significant')).toBe(String(f.significant));
      expect(await block.locator('.verdict').innerText()).toBe(f.summary);
      const holm = f.pValueAdjusted < 0.001 ? 'p < 0.001' : `p = ${pValue(f.pValueAdjusted)}`;
      expect(await block.locator('.heterogeneity').innerText()).toContain(`Holm-adjusted ${holm}; I² = ${percent(f.i2, 0)}`);
      expect(await block.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-value')))).toEqual(f.values.map((v: any) => v.value ?? '(not sent)'));
      for (const v of f.values) {
        const row = block.locator(`tr[data-value="${v.value}"]`);
        expect(await row.locator('[data-col=units]').innerText()).toBe(count(v.units));
        expect(await row.locator('[data-col=lift]').innerText()).toBe(lift(v.lift?.estimate));
        expect(await row.locator('[data-col=ci]').innerText()).toBe(interval(v.lift?.ci));
        expect(await row.locator('[data-col=shrunk]').innerText()).toBe(lift(v.shrunk?.estimate));
        expect(await row.locator('[data-col=shrunk-ci]').innerText()).toBe(interval(v.shrunk?.ci));
      }
    }
    const lifecycle = page.locator('.for-whom-attribute[data-attribute="lifecycle"]');
    expect(await lifecycle.locator('.heterogeneity').innerText()).toMatch(/^Verdict: the lift differs by lifecycle/);
    expect(await lifecycle.locator('tr[data-value="returning"] [data-col=rollout]').innerText()).toBe('Ship');
    // The lift over time: one point per simulated day of the daily endpoint; its last day is the overall result.
    expect(await page.locator('#over-time canvas').count()).toBe(1);
    expect(await page.locator('#over-time tbody tr').count()).toBe(daily.days.length);
    expect(daily.days.length).toBeGreaterThanOrEqual(DEMO_DAYS);
    expect(await text('.power label')).toMatch(/% of the sample needed to detect a 5 % lift/);
    await page.screenshot({ path: path.join(shots, 'experiment.png'), fullPage: true });
    await page.locator('#for-whom').screenshot({ path: path.join(shots, 'for-whom.png') });
    await page.locator('#over-time').screenshot({ path: path.join(shots, 'lift-over-time.png') });
    await accessible('experiment');
  });

  test('health banners: a suspicious lift holds a ship back until acknowledged; a sample ratio mismatch; multivariate effects with Holm p-values', async () => {
    // Personal picks: a lift of about 50 % on a few thousand units is flagged.
    await open('#/experiments/reco-home-picks');
    const held = await api('/v1/experiments/reco-home-picks/decision');
    expect(held.decision).toBe('invalid');
    expect(await page.locator('[data-banner=suspicious]').innerText()).toMatch(/Suspicious lift\.[\s\S]*suspiciously large/);
    expect(await page.locator('.verdict-card .badge').innerText()).toBe('INVALID');
    expect(await text('#headline')).toContain('held back: the lift is suspiciously large');
    await accessible('suspicious lift');
    await page.click('[data-banner=suspicious] a');
    await page.waitForSelector('body[data-ready="true"] [data-banner=suspicious]');
    const acknowledged = await api('/v1/experiments/reco-home-picks/decision?acknowledge=suspicious_lift');
    expect(acknowledged.decision).toBe('ship');
    expect(await page.locator('.verdict-card .badge').innerText()).toBe('SHIP');
    expect(await page.locator('[data-banner=suspicious]').innerText()).toContain('Acknowledged');

    // The birthday treat: the loyalty mailer loses a third of the personalized mail's mobile opens.
    await open('#/experiments/loyalty-birthday-treat');
    expect(await page.locator('[data-banner=srm]').innerText()).toMatch(/Sample ratio mismatch/);
    expect(await page.locator('.verdict-card .badge').innerText()).toBe('INVALID');

    // The hero block: 2 × 2 × 2 cells, main effects and interactions with Holm-adjusted p-values.
    await open('#/experiments/landing-hero-mvt');
    const results = await api('/v1/experiments/landing-hero-mvt/results');
    const decision = await api('/v1/experiments/landing-hero-mvt/decision');
    const m = results.metrics.find((x: any) => x.key === decision.metric);
    const tables = page.locator('section[aria-labelledby=factorial-title] table');
    for (const [i, effects] of [m.factors, m.interactions].entries()) {
      const rows = tables.nth(i).locator('tbody tr');
      expect(await rows.count()).toBe(effects.length);
      for (const [j, f] of effects.entries()) {
        expect(await rows.nth(j).locator('[data-col=p]').innerText()).toBe(pValue(f.pValueAdjusted));
        expect(await rows.nth(j).locator('[data-col=significant]').innerText()).toBe(f.significant ? (f.better ? 'Helps' : 'Hurts') : 'Not significant');
      }
    }
    const offer = m.factors.find((f: any) => f.factors[0] === 'offer');
    expect(offer).toMatchObject({ significant: true, better: true });
    // Each arm against the control, as the decision's pairs.
    expect(await page.locator('.pairs li').count()).toBe(decision.pairs.length);
    await accessible('factorial');
  });

  test('tactics: win rate, pooled lift and I², per segment, with the API\'s numbers', async () => {
    await open('#/tactics');
    const tactics = (await api('/v1/tactics')).items;
    expect(await page.locator('section.tactic').count()).toBe(tactics.length);
    for (const t of tactics) {
      const card = await api(`/v1/tactics/${t.tactic}`);
      for (const m of card.metrics) {
        const block = page.locator(`section[data-tactic="${t.tactic}"] .tactic-metric[data-metric="${m.metric}"]`);
        expect(await block.locator('[data-stat=win-rate]').innerText()).toBe(`${percent(m.winRate.rate, 0)} (${m.winRate.wins} won, ${m.winRate.losses} lost, ${m.winRate.inconclusive} inconclusive)`);
        if (m.pooled) expect(await block.locator('[data-stat=pooled]').innerText()).toContain(`${lift(m.pooled.random.lift)} (95 % CI ${interval(m.pooled.random.ci)})`);
        for (const seg of m.segments) {
          const row = block.locator(`tr[data-segment="${seg.attribute} = ${seg.value ?? '(not sent)'}"]`);
          expect(await row.locator('[data-col=win-rate]').innerText()).toBe(`${percent(seg.rate, 0)} (${seg.wins} won, ${seg.losses} lost, ${seg.inconclusive} inconclusive)`);
          expect(await row.locator('[data-col=pooled]').innerText()).toBe(seg.pooled ? `${lift(seg.pooled.random.lift)} (${interval(seg.pooled.random.ci)})` : '—');
        }
      }
    }
    await page.screenshot({ path: path.join(shots, 'tactics.png'), fullPage: true });
    await accessible('tactics');
  });

  test('an admin creates an experiment through the form (an API error shown at its field first), then starts it', async () => {
    await page.click('#sign-out');
    await signIn(world.adminKey);
    await page.waitForSelector('body[data-ready="true"]');
    await page.click('text=New experiment');
    await page.waitForSelector('form.experiment-form');
    await page.fill('[data-field="/key"]', 'hero-banner-ui');
    await page.fill('[data-field="/name"]', 'Hero banner by lifecycle');
    await page.fill('[data-field="/tactic"]', 'personalized-recommendations');
    await page.fill('[data-field="/hypothesis"]', 'Returning customers buy more when the banner shows what they looked at.');
    await page.fill('[data-field="/variants/1/weight"]', '-1');
    await page.screenshot({ path: path.join(shots, 'create.png'), fullPage: true });
    await page.click('button[type=submit]');
    const error = page.locator('[data-field="/variants/1/weight"] + .field-error');
    await error.waitFor();
    expect(await error.innerText()).toMatch(/greater than 0|must be >|0/);
    await accessible('create');
    await page.fill('[data-field="/variants/1/weight"]', '1');
    await page.click('button[type=submit]');
    await page.waitForSelector('.experiment[data-key="hero-banner-ui"]');
    page.once('dialog', (d) => void d.accept());
    await page.click('button[data-action=start]');
    await page.waitForSelector('.experiment[data-key="hero-banner-ui"] .status-running');
    const e = await api('/v1/experiments/hero-banner-ui');
    expect(e).toMatchObject({ status: 'running', tactic: 'personalized-recommendations', segments: ['device', 'channel', 'lifecycle'], coverage: 1 });
    expect(e.variants.map((v: any) => [v.key, v.control])).toEqual([['control', true], ['personalized', false]]);
    // Just started: no units yet, so the page says there is not enough data.
    expect(await page.locator('[data-banner=data]').innerText()).toMatch(/^Not enough data\./);
  });

  test('by keyboard, at a phone\'s width, in the dark theme', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await open('#/');
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    // Keyboard: the skip link first, then to the search box, then a link followed with Enter.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.className')).toBe('skip');
    await page.focus('#search');
    await page.keyboard.type('on the home page');
    // On by Tab (past the CSV button and the table's scroll area) to the one row's link.
    const focused = () => page.evaluate<string | null>("document.activeElement?.getAttribute('href') ?? document.activeElement?.tagName ?? null");
    const visited: (string | null)[] = [];
    for (let i = 0; i < 8 && visited[visited.length - 1] !== '#/experiments/reco-home-picks'; i++) {
      await page.keyboard.press('Tab');
      visited.push(await focused());
    }
    expect(visited[visited.length - 1]).toBe('#/experiments/reco-home-picks');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.experiment[data-key="reco-home-picks"]');
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(17, 19, 23)');
    // Nothing wider than the phone but the tables' own scroll areas.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(shots, 'experiment-phone-dark.png'), fullPage: true });
    await accessible('experiment, phone, dark');
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('no script error and no Content-Security-Policy violation on any page', () => {
    expect(problems).toEqual([]);
  });
});
