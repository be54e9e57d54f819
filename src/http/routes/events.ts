import { Router } from 'express';
import { unstorable } from '../../assignment';
import { invalid } from '../../errors';
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
    const { unitId } = locals(res).params;
    // Nothing stored can hold such text; asked of the database, it would fail the query.
    const message = unstorable(unitId);
    if (message) throw invalid('the request does not match the API contract (1 problem)', [{ field: 'path.unitId', message }]);
    res.json(await rt.unitData.erase(actorOf(res), unitId));
  });
  return router;
}
