import type { Runtime } from '../../runtime';
import type { Handlers } from '../handlers';
import { actorOf, locals } from '../locals';

/** /v1/events (ingestion) and /v1/units/{unitId} (erasure). */
export function eventHandlers(rt: Runtime): Handlers {
  return {
    async ingestEvents(req, res) {
      const { events } = req.body as { events: unknown[] };
      res.json(await rt.ingestor.ingest(events));
    },
    async eraseUnit(_req, res) {
      // Text no row can hold (U+0000, an unpaired surrogate) was refused by the gateway (app.ts).
      res.json(await rt.unitData.erase(actorOf(res), locals(res).params.unitId));
    },
  };
}
