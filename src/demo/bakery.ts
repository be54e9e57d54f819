import { storefrontBehaviour, type Attributes, type Behaviour, type Effect, type ExperimentCreate, type Scenario, type SimulatedExperiment } from './simulator';

/**
 * "The Daily Crumb": a small bakery's personalization programme, four tactics over four
 * simulated weeks, with true effects chosen so that the results tell a story:
 *  - personal picks on the home page win overall;
 *  - recently viewed items in the basket win only for returning customers;
 *  - first names in the email subject lift conversion but drive unsubscribes up (rollback);
 *  - personal picks in the newsletter change nothing (an A/A in disguise);
 *  - the birthday treat's exposures are tracked by the loyalty mailer, whose open pixel
 *    fails for a share of mobile readers of the personalized mail: a sample ratio mismatch;
 *  - the landing page's headline x image x offer test: free delivery is the winning factor,
 *    and the local headline works better with the bakers' photo (an interaction).
 * Each tactic's experiments share a layer (a customer is in one of them), so every customer
 * is in up to four experiments at once, one per tactic, as on a real storefront.
 */
export const TACTICS = {
  recommendations: 'personalized-recommendations',
  email: 'personalized-email',
  loyalty: 'loyalty-offers',
  landing: 'landing-by-source',
} as const;

export const POPULATION = {
  device: { mobile: 0.6, desktop: 0.4 },
  channel: { email: 0.25, search: 0.35, social: 0.2, direct: 0.2 },
  lifecycle: { new: 0.5, returning: 0.35, loyal: 0.15 },
};

export function baseline(a: Attributes): Behaviour {
  const purchase = { new: 0.07, returning: 0.13, loyal: 0.2 }[a.lifecycle] ?? 0.1;
  return {
    bounce: (a.channel === 'social' ? 0.4 : 0.25) * (a.device === 'mobile' ? 1.15 : 0.9),
    purchase: purchase * (a.device === 'desktop' ? 1.2 : 0.9),
    extraOrders: { new: 0.1, returning: 0.25, loyal: 0.5 }[a.lifecycle] ?? 0.2,
    orderValue: { median: a.lifecycle === 'loyal' ? 21 : 16, sigma: 0.7 },
    click: 0.25,
    extraClicks: 1,
    unsubscribe: a.channel === 'email' ? 0.02 : 0.008,
    pageViews: 2,
  };
}

export const METRICS: ExperimentCreate['metrics'] = [
  { key: 'purchase', name: 'Conversion', type: 'binary', role: 'primary' },
  { key: 'click', name: 'Click-through', type: 'binary' },
  { key: 'orders', name: 'Orders per customer', type: 'count', event: 'purchase' },
  { key: 'revenue', name: 'Revenue per customer', type: 'revenue', event: 'purchase' },
  { key: 'aov', name: 'Average order value', type: 'ratio', numerator: 'revenue', denominator: 'orders' },
  { key: 'unsubscribe', name: 'Unsubscribe rate', type: 'binary', role: 'guardrail', direction: 'decrease' },
  { key: 'bounce', name: 'Bounce rate', type: 'binary', role: 'guardrail', direction: 'decrease' },
];

export const SEGMENTS = ['device', 'channel', 'lifecycle'];

export function ab(
  key: string,
  tactic: string,
  name: string,
  hypothesis: string,
  layer: { key: string; start: number; end: number },
  units: number,
): ExperimentCreate {
  return {
    key,
    name,
    hypothesis,
    tactic,
    variants: [
      { key: 'control', name: 'Not personalized', weight: 1, control: true },
      { key: 'personalized', name: 'Personalized', weight: 1 },
    ],
    metrics: METRICS,
    segments: SEGMENTS,
    layer,
    plannedSampleSize: Math.max(2, Math.round(units)),
  };
}

const treated = (variant: string, effect: Effect): Effect => (variant === 'control' ? {} : effect);

export interface BakeryOptions {
  seed?: number;
  /** Customers visiting over the whole run (each visits once). */
  visitors?: number;
  days?: number;
}

export const DEFAULT_SEED = 20261206;
export const DEFAULT_VISITORS = 30_000;
export const DEFAULT_DAYS = 28;

export function bakery(options: BakeryOptions = {}): Scenario {
  const visitors = options.visitors ?? DEFAULT_VISITORS;
  const half = visitors / 2;
  const experiments: SimulatedExperiment[] = [
    {
      definition: ab('reco-home-picks', TACTICS.recommendations, 'Personal picks on the home page', 'Customers buy more when the home page shows breads like the ones they bought.', { key: 'web-reco', start: 0, end: 0.5 }, half),
      effect: (v) => treated(v, { purchase: 0.25, click: 0.3 }),
    },
    {
      definition: ab('reco-basket-recent', TACTICS.recommendations, 'Recently viewed in the basket', 'Reminding customers of what they looked at completes more baskets.', { key: 'web-reco', start: 0.5, end: 1 }, half),
      effect: (v, a) => treated(v, a.lifecycle === 'returning' ? { purchase: 0.5, click: 0.3 } : {}),
    },
    {
      definition: ab('email-first-name', TACTICS.email, 'First name and favourites in the subject', 'A personal subject line gets more orders from the newsletter.', { key: 'email', start: 0, end: 0.5 }, half),
      effect: (v) => treated(v, { purchase: 0.15, click: 0.2, unsubscribe: 1.5 }),
    },
    {
      definition: ab('email-weekly-picks', TACTICS.email, 'Personal picks in the weekly newsletter', 'Picks based on past orders sell more than the baker\'s choice.', { key: 'email', start: 0.5, end: 1 }, half),
      effect: () => ({}),
    },
    {
      definition: ab('loyalty-usual-order', TACTICS.loyalty, 'A discount on the usual order', 'Ten percent off what a customer usually buys brings them back more often.', { key: 'loyalty', start: 0, end: 0.5 }, half),
      effect: (v) => treated(v, { purchase: 0.22, orderValue: -0.06 }),
    },
    {
      definition: {
        ...ab('loyalty-birthday-treat', TACTICS.loyalty, 'A birthday treat in the loyalty email', 'A free pastry on their birthday makes customers order.', { key: 'loyalty', start: 0.5, end: 1 }, half * 0.5),
        targeting: { attribute: 'lifecycle', op: 'in', value: ['returning', 'loyal'] },
      },
      effect: (v) => treated(v, { purchase: 0.1 }),
      // The planted bug: the personalized mail's open pixel fails in a mobile mail app, so a
      // third of its mobile readers are never recorded as exposed. The sample ratio check must say so.
      exposure: {
        via: 'email',
        eligible: (a) => a.lifecycle !== 'new',
        lost: (variant, a, r) => variant === 'personalized' && a.device === 'mobile' && r() < 0.33,
      },
    },
    {
      definition: ab('landing-source-match', TACTICS.landing, 'Landing page that matches the traffic source', 'Visitors from search and social buy more when the page continues what brought them.', { key: 'landing', start: 0, end: 0.5 }, half),
      effect: (v, a) => treated(v, a.channel === 'search' || a.channel === 'social' ? { purchase: 0.4, bounce: -0.15 } : {}),
    },
    {
      definition: {
        key: 'landing-hero-mvt',
        name: 'Hero block: headline x image x offer',
        hypothesis: 'The hero block sells more with a local headline, a photo of the bakers and free delivery.',
        tactic: TACTICS.landing,
        factors: [
          { key: 'headline', levels: [{ key: 'classic' }, { key: 'local' }] },
          { key: 'image', levels: [{ key: 'product' }, { key: 'bakers' }] },
          { key: 'offer', levels: [{ key: 'none' }, { key: 'free-delivery' }] },
        ],
        metrics: METRICS,
        segments: SEGMENTS,
        layer: { key: 'landing', start: 0.5, end: 1 },
        plannedSampleSize: Math.round(half),
      },
      effect: (v) => {
        const [headline, image, offer] = v.split('.');
        const local = headline === 'local';
        const bakers = image === 'bakers';
        // At most +43 % for the best combination: a storefront's lift, below the +50 % that holds a small arm's ship back as suspicious.
        const lift = (1 + (offer === 'free-delivery' ? 0.25 : 0)) * (1 + (local ? 0.02 : 0)) * (1 + (bakers ? 0.02 : 0)) * (1 + (local && bakers ? 0.1 : 0)) - 1;
        return { purchase: lift };
      },
    },
  ];
  const scenario: Scenario = {
    name: 'The Daily Crumb',
    seed: options.seed ?? DEFAULT_SEED,
    days: options.days ?? DEFAULT_DAYS,
    visitors,
    population: POPULATION,
    experiments,
    behave: storefrontBehaviour(baseline, experiments),
  };
  return scenario;
}

/** What each experiment is planted to show, for the tests and the summary's last column. */
export const STORY: Record<string, string> = {
  'reco-home-picks': 'wins overall',
  'reco-basket-recent': 'wins for returning customers only',
  'email-first-name': 'more orders, more unsubscribes',
  'email-weekly-picks': 'no effect',
  'loyalty-usual-order': 'wins overall',
  'loyalty-birthday-treat': 'tracking bug (sample ratio)',
  'landing-source-match': 'wins for search and social',
  'landing-hero-mvt': 'free delivery wins',
};

export interface SmallBakeryOptions extends BakeryOptions {
  /** Every true effect multiplied by this (default 2.5). */
  strength?: number;
}

/**
 * The same bakery on far fewer customers, for the dashboard's browser tests and benchmark:
 * no layers (every customer is in every experiment, so each sees all the traffic) and every
 * true effect scaled up, so that a few thousand customers tell the story the full demo tells
 * with forty thousand: the same experiments, keys, metrics, segments, targeting and planted bug.
 */
export function smallBakery(options: SmallBakeryOptions = {}): Scenario {
  const strength = options.strength ?? 2.5;
  const full = bakery(options);
  const scale = (e: Effect, by: number): Effect => Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v * by]));
  const experiments: SimulatedExperiment[] = full.experiments.map((x) => ({
    ...x,
    definition: { ...x.definition, layer: undefined, plannedSampleSize: full.visitors },
    // The home-page picks twice as strong again (purchase +125 %), so that on so few customers their
    // lift is far above the +50 % bar whatever the draw: the dashboard shows the suspicious-lift hold.
    effect: (variant, attributes) => scale(x.effect(variant, attributes), x.definition.key === 'reco-home-picks' ? strength * 2 : strength),
  }));
  return { ...full, experiments, behave: storefrontBehaviour(baseline, experiments) };
}
