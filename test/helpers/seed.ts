import { assign, compile } from '../../src/assignment';
import { toAssignable } from '../../src/serving/registry';
import type { ExperimentRow } from '../../src/model/experiment';
import { conversion, eid, exposure, send } from './events';
import { bearer, type World } from './world';

/**
 * Builds an experiment's data through the API with exact numbers per variant: unit ids are
 * chosen by the documented assignment so each variant gets the units asked for, exposed
 * through POST /v1/events, then the asked-for converters convert.
 */
export interface ArmPlan {
  units: number;
  /** Units that send `event` once (or `perUnit` times). */
  converters?: number;
  event?: string;
  perUnit?: number;
  /** The value of each conversion (revenue). */
  value?: number | ((i: number) => number);
  attributes?: (i: number) => Record<string, string | number | boolean>;
}

export async function seed(world: World, key: string, plan: Record<string, ArmPlan>, prefix = key): Promise<Record<string, string[]>> {
  const e = (await world.api.get(`/v1/experiments/${key}`).set(bearer(world.adminKey)).expect(200)).body as ExperimentRow;
  const compiled = compile({ ...toAssignable(e), status: 'running' });
  const wanted = new Map(Object.entries(plan).map(([v, p]) => [v, p.units]));
  const units: Record<string, string[]> = Object.fromEntries(Object.keys(plan).map((v) => [v, []]));
  for (let i = 0; [...wanted.values()].some((n) => n > 0); i++) {
    const unitId = `${prefix}-u${i}`;
    const v = assign({ unitId }, compiled).variant;
    if ((wanted.get(v) ?? 0) > 0) {
      units[v].push(unitId);
      wanted.set(v, wanted.get(v)! - 1);
    }
  }
  // Exposures and conversions in the past (but not before the start), so that completing the
  // experiment right after seeding keeps them: a conversion at or after completion never counts.
  const exposedAt = Math.max(new Date(e.startedAt ?? Date.now()).getTime(), Date.now() - 2000);
  const convertedAt = exposedAt + 1;
  const events: unknown[] = [];
  for (const [variant, p] of Object.entries(plan)) {
    units[variant].forEach((u, i) => events.push(exposure(u, key, new Date(exposedAt).toISOString(), p.attributes ? { attributes: p.attributes(i) } : {}, eid('sx'))));
    units[variant].slice(0, p.converters ?? 0).forEach((u, i) => {
      for (let k = 0; k < (p.perUnit ?? 1); k++) {
        const value = typeof p.value === 'function' ? p.value(i) : p.value;
        events.push(conversion(u, p.event ?? 'purchase', new Date(convertedAt).toISOString(), value, eid('sc')));
      }
    });
  }
  for (let i = 0; i < events.length; i += 1000) {
    const res = await send(world, events.slice(i, i + 1000));
    if (res.status !== 200 || res.body.rejected.length) throw new Error(`seeding failed: ${JSON.stringify(res.body).slice(0, 500)}`);
  }
  return units;
}

/**
 * One arm's plan with exact units and converters per value of segment attributes: `groups`
 * lists each group's attributes, units and converters; the converters of every group come
 * first (seed() makes the first `converters` units of an arm convert), then the rest.
 */
export function segmentedArm(groups: { attributes: Record<string, string>; units: number; converters: number }[]): ArmPlan {
  const order: Record<string, string>[] = [];
  for (const g of groups) for (let i = 0; i < g.converters; i++) order.push(g.attributes);
  for (const g of groups) for (let i = g.converters; i < g.units; i++) order.push(g.attributes);
  return { units: order.length, converters: groups.reduce((a, g) => a + g.converters, 0), attributes: (i) => order[i] };
}
