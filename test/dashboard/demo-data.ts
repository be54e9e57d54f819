import { assign, compile } from '../../src/assignment';
import type { ExperimentCreate, ExperimentRow } from '../../src/model/experiment';
import { toAssignable } from '../../src/serving/registry';

/**
 * A small personalization programme for the dashboard's browser tests and benchmark, built
 * through the public API only (plus backdating a start, which the caller provides: the
 * programme spans weeks). Five tactics: a clear win that works mostly for returning customers,
 * a running experiment with a small effect, one that lifts conversion but raises unsubscribes
 * (rollback), one with no effect, a 2×2 multivariate design, an experiment whose tracking drops
 * a third of one arm's exposures (sample ratio mismatch), and a draft. Deterministic (a fixed
 * seed). Issue 17's bakery demo is the realistic, larger version of this.
 */
export interface Target {
  url: string;
  adminKey: string;
  assignKey: string;
  /** Pretend the experiment started `days` ago. */
  backdate(key: string, days: number): Promise<void>;
}

const DAY = 86_400_000;
const LIFECYCLE = ['new', 'returning', 'loyal'] as const;
const DEVICE = ['mobile', 'desktop'] as const;
const CHANNEL = ['email', 'search', 'social', 'direct'] as const;

function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function call(t: Target, method: string, path: string, body?: unknown, key = t.adminKey) {
  const res = await fetch(t.url + path, { method, headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : null;
}

interface Plan {
  body: ExperimentCreate;
  days: number;
  unitsPerDay: number;
  complete?: boolean;
  draft?: boolean;
  /** Per unit: the probability of each event for this variant and these attributes (and a purchase value). */
  rates: (variant: string, a: { lifecycle: string; device: string; channel: string }) => Record<string, number>;
  /** Share of a variant's exposures that reach the service (tracking bug). */
  tracked?: Record<string, number>;
}

const two = (treatment: string) => [
  { key: 'control', name: 'Generic', weight: 1, control: true },
  { key: treatment, name: treatment === 'personalized' ? 'Personalized' : treatment, weight: 1 },
];

export const DEMO: Plan[] = [
  {
    body: {
      key: 'reco-homepage', name: 'Recommendations on the home page', tactic: 'personalized-recommendations',
      hypothesis: 'Showing products like those a customer bought raises purchases.',
      variants: [{ key: 'control', name: 'Best sellers', weight: 1, control: true }, { key: 'personalized', name: 'Personalized recommendations', weight: 1 }],
      metrics: [{ key: 'purchase', name: 'Conversion', type: 'binary', role: 'primary' }, { key: 'revenue', name: 'Revenue per visitor', type: 'revenue', event: 'purchase' }, { key: 'bounce', name: 'Bounce rate', type: 'binary', role: 'guardrail', direction: 'decrease' }],
      segments: ['lifecycle', 'device', 'channel'], respectsHoldout: false,
    },
    days: 14, unitsPerDay: 700, complete: true,
    rates: (v, a) => ({ purchase: v === 'personalized' ? (a.lifecycle === 'new' ? 0.083 : 0.11) : 0.08, bounce: 0.3 }),
  },
  {
    body: {
      key: 'reco-cart', name: 'Recommendations in the cart', tactic: 'personalized-recommendations',
      variants: two('personalized'), metrics: [{ key: 'purchase', name: 'Conversion', type: 'binary', role: 'primary' }],
      segments: ['lifecycle', 'device'], respectsHoldout: false,
    },
    days: 6, unitsPerDay: 250,
    rates: (v) => ({ purchase: v === 'personalized' ? 0.105 : 0.1 }),
  },
  {
    body: {
      key: 'email-subject', name: 'First name in the email subject', tactic: 'personalized-email',
      variants: two('personalized'),
      metrics: [{ key: 'click', name: 'Click-through', type: 'binary', role: 'primary' }, { key: 'unsubscribe', name: 'Unsubscribe rate', type: 'binary', role: 'guardrail', direction: 'decrease' }],
      segments: ['lifecycle'], respectsHoldout: false,
    },
    days: 10, unitsPerDay: 400, complete: true,
    rates: (v) => ({ click: v === 'personalized' ? 0.14 : 0.11, unsubscribe: v === 'personalized' ? 0.05 : 0.015 }),
  },
  {
    body: {
      key: 'landing-source', name: 'Landing page by traffic source', tactic: 'source-landing-pages',
      variants: two('adapted'), metrics: [{ key: 'purchase', name: 'Conversion', type: 'binary', role: 'primary' }],
      segments: ['channel'], respectsHoldout: false,
    },
    days: 9, unitsPerDay: 400, complete: true,
    rates: () => ({ purchase: 0.08 }),
  },
  {
    body: {
      key: 'loyalty-grid', name: 'Loyalty offer × message', tactic: 'loyalty-offers',
      factors: [
        { key: 'offer', levels: [{ key: 'none' }, { key: 'freeship' }] },
        { key: 'message', levels: [{ key: 'generic' }, { key: 'personal' }] },
      ],
      metrics: [{ key: 'purchase', name: 'Conversion', type: 'binary', role: 'primary' }],
      segments: ['lifecycle'], respectsHoldout: false,
    },
    days: 8, unitsPerDay: 500,
    rates: (v) => ({ purchase: 0.08 + (v.startsWith('freeship') ? 0.025 : 0) + (v === 'freeship.personal' ? 0.015 : 0) }),
  },
  {
    body: {
      key: 'reco-banner', name: 'Recommendation banner (tracking bug)', tactic: 'personalized-recommendations',
      variants: two('personalized'), metrics: [{ key: 'purchase', name: 'Conversion', type: 'binary', role: 'primary' }],
      segments: ['device'], respectsHoldout: false,
    },
    days: 5, unitsPerDay: 300,
    tracked: { personalized: 0.7 },
    rates: (v) => ({ purchase: v === 'personalized' ? 0.12 : 0.1 }),
  },
  {
    body: {
      key: 'email-send-time', name: 'Send time by past opens', tactic: 'personalized-email',
      variants: two('personalized'), metrics: [{ key: 'click', name: 'Click-through', type: 'binary', role: 'primary' }],
      segments: ['lifecycle'],
    },
    days: 0, unitsPerDay: 0, draft: true,
    rates: () => ({}),
  },
];

/** Builds the programme; resolves when every event is in. */
export async function buildDemo(t: Target, plans: Plan[] = DEMO, seed = 7): Promise<void> {
  const random = prng(seed);
  const now = Date.now();
  for (const p of plans) {
    await call(t, 'POST', '/v1/experiments', p.body);
    if (p.draft) continue;
    await call(t, 'POST', `/v1/experiments/${p.body.key}/start`);
    await t.backdate(p.body.key, p.days + 0.5);
    const e: ExperimentRow = await call(t, 'GET', `/v1/experiments/${p.body.key}`);
    const compiled = compile({ ...toAssignable(e), status: 'running' });
    const events: unknown[] = [];
    let n = 0;
    // Events older than 7 days are refused (the ingestion's bound), so the traffic of a longer
    // experiment arrives in its last 6 days (issue 17's demo clock lifts this).
    const eventDays = Math.min(p.days, 6);
    for (let d = 0; d < eventDays; d++) {
      const dayStart = now - (eventDays - d) * DAY;
      for (let i = 0; i < Math.round((p.unitsPerDay * p.days) / eventDays); i++) {
        const unitId = `${p.body.key}-${n++}`;
        const variant = assign({ unitId }, compiled).variant;
        if (random() >= (p.tracked?.[variant] ?? 1)) continue;
        const a = { lifecycle: LIFECYCLE[Math.floor(random() * 3)], device: DEVICE[Math.floor(random() * 2)], channel: CHANNEL[Math.floor(random() * 4)] };
        const at = dayStart + Math.floor(random() * (DAY - 3_600_000));
        events.push({ type: 'exposure', eventId: `${unitId}-x`, unitId, experiment: p.body.key, timestamp: new Date(at).toISOString(), attributes: a });
        for (const [event, rate] of Object.entries(p.rates(variant, a))) {
          if (random() < rate) {
            const value = event === 'purchase' ? Math.round(Math.exp(3 + 0.6 * (random() + random() + random() - 1.5)) * 100) / 100 : undefined;
            events.push({ type: 'conversion', eventId: `${unitId}-${event}`, unitId, event, timestamp: new Date(at + 600_000).toISOString(), ...(value === undefined ? {} : { value }) });
          }
        }
      }
    }
    for (let i = 0; i < events.length; i += 1000) {
      const r = await call(t, 'POST', '/v1/events', { events: events.slice(i, i + 1000) }, t.assignKey);
      if (r.rejected.length) throw new Error(`events rejected: ${JSON.stringify(r.rejected.slice(0, 3))}`);
    }
    if (p.complete) await call(t, 'POST', `/v1/experiments/${p.body.key}/complete`);
  }
}
