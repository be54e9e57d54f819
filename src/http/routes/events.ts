import { Router } from 'express';
import type { Runtime } from '../../runtime';
import { actorOf, locals } from '../locals';

/** /v1/events (ingestion) and /v1/units/{unitId} (erasure). */
export function eventsRouter(rt: Runtime): Router {
  const router = Router();

  router.post('/v1/events', async (req, res) => {
    const { events } = req.body as { events: unknown[] };
    res.json(await rt.ingestor.ingest(events));
  });

  router.delete('/v1/units/:unitId', async (_req, res) => {
    // Text no row can hold (U+0000, an unpaired surrogate) was refused by the gateway (app.ts).
    const { unitId } = locals(res).params;
    res.json(await rt.unitData.erase(actorOf(res), unitId));
  });
  return router;
}
