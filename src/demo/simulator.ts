import type { components } from '../contract/schema';
import { derive, normal, pick, poisson, rng, type Rng } from './random';

/**
 * The simulator: customers with attributes, experiments with the true effect of each variant
 * on each kind of customer, and what a customer does on a visit given the variants shown.
 * Pure: the same scenario and seed give the same customers and the same events. The runner
 * (runner.ts) plays a scenario against a Verdict server through its public HTTP API; since the
 * scenario knows the truth, tests can check what Verdict reports against it.
 */
export type Attributes = Record<string, string>;
export type ExperimentCreate = components['schemas']['ExperimentCreate'];

export interface Visitor {
  index: number;
  unitId: string;
  attributes: Attributes;
  /** The simulated day of the visit, 0-based. */
  day: number;
}

/** The variant each experiment showed the visitor (whether or not it was counted). */
export type Shown = Readonly<Record<string, string>>;

/** An event the visitor causes; `atMs` is its time after the start of the visit's day. */
export interface SimEvent {
  event: string;
  value?: number;
  atMs: number;
}

/** A true effect: relative changes of the storefront behaviours (0.2 = +20 %), for one variant and one customer. */
export interface Effect {
  purchase?: number;
  extraOrders?: number;
  orderValue?: number;
  click?: number;
  unsubscribe?: number;
  bounce?: number;
}

export interface SimulatedExperiment {
  /** Sent as is to POST /v1/experiments. */
  definition: ExperimentCreate;
  /** The true effect of `variant` on a customer with these attributes (nothing for the control). */
  effect(variant: string, attributes: Attributes): Effect;
  /**
   * How the variant reaches the customer. `visit` (default): the storefront's /v1/assign on each
   * visit records the exposure. `email`: another system (the loyalty mailer) asks /v1/assign with
   * `track: false` for the customers it mails (`eligible`), and sends an exposure event when the
   * mail is opened; `lost` plants a tracking bug that drops some of those exposure events.
   */
  exposure?: { via: 'email'; eligible(attributes: Attributes): boolean; lost?(variant: string, attributes: Attributes, r: Rng): boolean };
}

export interface Scenario {
  name: string;
  seed: number;
  /** Simulated days the experiments run. */
  days: number;
  visitors: number;
  /** Shares of each value of each attribute (device, channel, lifecycle...), drawn independently. */
  population: Readonly<Record<string, Readonly<Record<string, number>>>>;
  experiments: SimulatedExperiment[];
  /** What a visitor does given the variants shown. */
  behave(visitor: Visitor, shown: Shown, r: Rng): SimEvent[];
}

export const DAY_MS = 86_400_000;

/** Visitor `index` of the scenario: the same every run of the same seed. Visits are spread evenly over the days. */
export function visitor(s: Scenario, index: number): Visitor {
  const r = rng(derive(s.seed, `visitor:${index}`));
  const attributes: Attributes = {};
  for (const [name, shares] of Object.entries(s.population)) attributes[name] = pick(r, shares);
  return { index, unitId: `crumb-${s.seed}-${index}`, attributes, day: Math.min(s.days - 1, Math.floor((index * s.days) / s.visitors)) };
}

/** The visitor's events, drawn from its own stream (independent of the order visits are simulated in). */
export function eventsOf(s: Scenario, v: Visitor, shown: Shown): SimEvent[] {
  return s.behave(v, shown, rng(derive(s.seed, `behave:${v.index}`)));
}

/** The randomness of an experiment's exposure path for one visitor (the planted bug's draws). */
export const exposureRng = (s: Scenario, key: string, v: Visitor): Rng => rng(derive(s.seed, `exposure:${key}:${v.index}`));

/** What a customer does when nothing is personalized. */
export interface Behaviour {
  /** Leaves after one page. */
  bounce: number;
  /** Buys at least once, if not bounced. */
  purchase: number;
  /** Mean of further orders (Poisson) for a buyer. */
  extraOrders: number;
  /** Order values are log-normal: median and log-scale spread (skewed, as revenue is). */
  orderValue: { median: number; sigma: number };
  /** Clicks through (a recommendation, an offer), if not bounced. */
  click: number;
  extraClicks: number;
  unsubscribe: number;
  /** Mean further page views (Poisson) of a visit that did not bounce. */
  pageViews: number;
}

/** Effects of several experiments combine multiplicatively (each a relative change). */
export function combine(effects: readonly Effect[]): Required<Effect> {
  const out: Required<Effect> = { purchase: 0, extraOrders: 0, orderValue: 0, click: 0, unsubscribe: 0, bounce: 0 };
  for (const k of Object.keys(out) as (keyof Effect)[]) out[k] = effects.reduce((m, e) => m * (1 + (e[k] ?? 0)), 1) - 1;
  return out;
}

const clamp = (p: number) => Math.min(0.95, Math.max(0, p));

/**
 * A storefront visit: page views, perhaps a bounce, clicks, orders with skewed values,
 * perhaps an unsubscribe, each rate moved by the true effects of the variants shown.
 * Events: page_view, bounce, click, purchase (value: the order total), unsubscribe.
 */
export function storefrontBehaviour(baseline: (a: Attributes) => Behaviour, experiments: readonly SimulatedExperiment[]) {
  return (v: Visitor, shown: Shown, r: Rng): SimEvent[] => {
    const b = baseline(v.attributes);
    const e = combine(experiments.filter((x) => shown[x.definition.key] !== undefined).map((x) => x.effect(shown[x.definition.key], v.attributes)));
    const events: SimEvent[] = [];
    // The visit lasts up to half an hour, starting somewhere in the day (after the morning's assignment).
    const start = 10 * 60_000 + r() * (DAY_MS - 60 * 60_000);
    let t = start;
    const next = () => (t += 5_000 + r() * 60_000);
    events.push({ event: 'page_view', atMs: next() });
    if (r() < clamp(b.bounce * (1 + e.bounce))) {
      events.push({ event: 'bounce', atMs: next() });
      return events;
    }
    for (let i = poisson(r, b.pageViews); i > 0; i--) events.push({ event: 'page_view', atMs: next() });
    if (r() < clamp(b.click * (1 + e.click))) {
      for (let i = 1 + poisson(r, b.extraClicks); i > 0; i--) events.push({ event: 'click', atMs: next() });
    }
    if (r() < clamp(b.purchase * (1 + e.purchase))) {
      const orders = 1 + poisson(r, b.extraOrders * (1 + e.extraOrders));
      for (let i = 0; i < orders; i++) {
        const value = b.orderValue.median * (1 + e.orderValue) * Math.exp(b.orderValue.sigma * normal(r));
        events.push({ event: 'purchase', value: Math.round(value * 100) / 100, atMs: next() });
      }
    }
    if (r() < clamp(b.unsubscribe * (1 + e.unsubscribe))) events.push({ event: 'unsubscribe', atMs: next() });
    return events;
  };
}

/** Every combination of attribute values with its share of the population. */
export function segmentsOf(population: Scenario['population']): { attributes: Attributes; share: number }[] {
  let out: { attributes: Attributes; share: number }[] = [{ attributes: {}, share: 1 }];
  for (const [name, shares] of Object.entries(population)) {
    const total = Object.values(shares).reduce((a, b) => a + b, 0);
    out = out.flatMap((o) => Object.entries(shares).map(([value, w]) => ({ attributes: { ...o.attributes, [name]: value }, share: (o.share * w) / total })));
  }
  return out;
}

/**
 * The true relative lift of `variant` over the control in the share of customers who convert
 * (`rate(attributes, effect)`: the probability for a customer of that kind under that effect),
 * over the customers matching `where`. Exact: an expectation over the population, no sampling.
 */
export function trueLift(
  s: Pick<Scenario, 'population'>,
  x: SimulatedExperiment,
  variant: string,
  rate: (a: Attributes, e: Effect) => number,
  where: (a: Attributes) => boolean = () => true,
): number {
  let treated = 0;
  let control = 0;
  for (const seg of segmentsOf(s.population)) {
    if (!where(seg.attributes)) continue;
    treated += seg.share * rate(seg.attributes, x.effect(variant, seg.attributes));
    control += seg.share * rate(seg.attributes, {});
  }
  return treated / control - 1;
}

/** The storefront's probability that a customer buys, for trueLift: not bounced, then buys. */
export const purchaseRate = (baseline: (a: Attributes) => Behaviour) => (a: Attributes, e: Effect) => {
  const b = baseline(a);
  return (1 - clamp(b.bounce * (1 + (e.bounce ?? 0)))) * clamp(b.purchase * (1 + (e.purchase ?? 0)));
};
