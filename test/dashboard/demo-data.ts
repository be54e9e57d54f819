import { smallBakery } from '../../src/demo/bakery';
import { api as client } from '../../src/demo/http-client';
import { runScenario, type RunResult } from '../../src/demo/runner';
import type { Scenario } from '../../src/demo/simulator';

/**
 * The demo's data for the dashboard's browser tests and benchmark: "The Daily Crumb" of
 * `npm run demo` (src/demo/bakery.ts), played through the public HTTP API by the demo's own
 * runner on the server's demo clock, in its small configuration (smallBakery: no layers,
 * effects scaled up) so that a few thousand customers tell the same story in seconds:
 * personal picks win; recently viewed items win for returning customers only; first names in
 * the subject lift orders and unsubscribes (rollback); the weekly picks do nothing; the
 * birthday treat's tracking bug (sample ratio mismatch); the landing page wins for search and
 * social; the hero block's factorial test. Most experiments are completed (so the tactics'
 * scorecards count them); two stay running, and one more is a draft, as on a real programme.
 * The server must run with the demo clock on (useWorld({ demoClock: true })).
 */
export const DEMO_VISITORS = Number(process.env.DEMO_VISITORS ?? 3000);
export const DEMO_DAYS = 8;
export const STILL_RUNNING = ['reco-basket-recent', 'landing-hero-mvt'];

export const DRAFT = {
  key: 'email-send-time',
  name: 'Send time by past opens',
  tactic: 'personalized-email',
  hypothesis: 'The newsletter sells more when it arrives at the hour a customer usually opens it.',
  variants: [
    { key: 'control', name: 'Tuesday 8:00', weight: 1, control: true },
    { key: 'personalized', name: 'Personal send time', weight: 1 },
  ],
  metrics: [{ key: 'purchase', name: 'Conversion', type: 'binary', role: 'primary' }],
  segments: ['lifecycle'],
};

export function demoScenario(): Scenario {
  return smallBakery({ visitors: DEMO_VISITORS, days: DEMO_DAYS });
}

export interface Demo extends RunResult {
  scenario: Scenario;
}

/** Plays the small bakery against `url` (its clock is set back to the simulated days and left at their end). */
export async function buildDemo(url: string, adminKey: string): Promise<Demo> {
  const scenario = demoScenario();
  const run = await runScenario({ url, adminKey }, scenario, { concurrency: 12, complete: false });
  const http = client(url, 4);
  try {
    for (const x of scenario.experiments) {
      if (!STILL_RUNNING.includes(x.definition.key)) await http.request('POST', `/v1/experiments/${x.definition.key}/complete`, adminKey);
    }
    await http.request('POST', '/v1/experiments', adminKey, DRAFT);
  } finally {
    http.close();
  }
  return { ...run, scenario };
}
