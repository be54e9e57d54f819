// A minimal storefront integration: a server-rendered page that asks Verdict which home-page
// block each visitor sees, renders it, reports the exposure, and reports purchases.
// Node 20+, no dependencies:  VERDICT_URL=http://localhost:8080 VERDICT_ASSIGN_KEY=vk_... node server.js
const http = require('node:http');
const { randomUUID } = require('node:crypto');

const VERDICT = process.env.VERDICT_URL ?? 'http://localhost:8080';
const KEY = process.env.VERDICT_ASSIGN_KEY; // an `assign` key: it can only assign and send events
const EXPERIMENT = 'home-picks';
const TIMEOUT_MS = Number(process.env.VERDICT_TIMEOUT_MS ?? 300); // never let Verdict slow the page down

async function verdict(path, body) {
  const res = await fetch(VERDICT + path, {
    method: 'POST',
    headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}

const BLOCKS = {
  control: '<section id="picks" data-variant="control"><h2>Our bestsellers</h2><p>Sourdough, croissants, cinnamon buns.</p></section>',
  personalized: '<section id="picks" data-variant="personalized"><h2>Picked for you</h2><p>Rye like last time, and a seeded loaf to try.</p></section>',
};

async function home(unitId, attributes) {
  // Stamped when the page is built: a purchase made right after the page loads is then never
  // stamped earlier than the exposure that led to it, however the two requests race to Verdict.
  const shownAt = new Date().toISOString();
  let variant = 'control'; // Verdict unreachable: show the control, as the control is what it would say
  try {
    // track: false, then an exposure event once the block is really on the page.
    const answer = await verdict('/v1/assign', { unitId, attributes, experiments: [EXPERIMENT], track: false });
    variant = answer.assignments[0].variant ?? 'control';
    if (answer.assignments[0].inExperiment) {
      verdict('/v1/events', { events: [{ type: 'exposure', eventId: `exp-${unitId}-${EXPERIMENT}`, unitId, experiment: EXPERIMENT, attributes, timestamp: shownAt }] }).catch(() => {});
    }
  } catch {}
  return `<!doctype html><title>The Daily Crumb</title>${BLOCKS[variant] ?? BLOCKS.control}<form method="post" action="/buy"><button>Buy (12.50)</button></form>`;
}

http
  .createServer(async (req, res) => {
    const unitId = /(?:^|; )uid=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1] ?? randomUUID();
    res.setHeader('Set-Cookie', `uid=${unitId}; Path=/; HttpOnly; SameSite=Lax`);
    const attributes = { device: /Mobile/.test(req.headers['user-agent'] ?? '') ? 'mobile' : 'desktop', channel: 'direct' };
    if (req.method === 'POST' && req.url === '/buy') {
      const order = randomUUID(); // the order id: a retried event is counted once
      await verdict('/v1/events', { events: [{ type: 'conversion', eventId: `order-${order}`, unitId, event: 'purchase', value: 12.5 }] }).catch(() => {});
      res.writeHead(303, { Location: '/' }).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(await home(unitId, attributes));
  })
  .listen(Number(process.env.PORT ?? 3000), () => console.log(`storefront on http://localhost:${process.env.PORT ?? 3000}`));
