import type { ExperimentCreate } from '../../src/model/experiment';
import { experimentBody } from './fixtures';
import { seed, type ArmPlan } from './seed';
import { bearer, type World } from './world';

export const DAY_MS = 86_400_000;

/** Pretend the experiment started `ms` ago (days running, exposures in the past). */
export async function backdateStart(world: World, key: string, ms: number): Promise<void> {
  await world.rt.db.query('UPDATE experiments SET started_at = $2, version = version + 1 WHERE key = $1', [key, new Date(Date.now() - ms)]);
  await world.rt.registry.reload();
}

export interface RunOptions {
  /** Days it has been running (backdated start). */
  days?: number;
  /** Data to seed through the API once started. */
  plan?: Record<string, ArmPlan>;
  /** Complete it after seeding. */
  complete?: boolean;
}

/**
 * Creates and starts an experiment through the API (the fixture's body, outside the
 * holdout, with these overrides), then backdates, seeds and completes it as asked. Its key.
 */
export async function runExperiment(world: World, overrides: Partial<ExperimentCreate> = {}, options: RunOptions = {}): Promise<string> {
  const admin = bearer(world.adminKey);
  const body = experimentBody({ respectsHoldout: false, ...overrides });
  await world.api.post('/v1/experiments').set(admin).send(body).expect(201);
  await world.api.post(`/v1/experiments/${body.key}/start`).set(admin).expect(200);
  if (options.days) await backdateStart(world, body.key, options.days * DAY_MS);
  if (options.plan) await seed(world, body.key, options.plan);
  if (options.complete) await world.api.post(`/v1/experiments/${body.key}/complete`).set(admin).expect(200);
  return body.key;
}
