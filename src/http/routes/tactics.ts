import { Router } from 'express';
import { scorecardCsv } from '../../results/results-csv';
import type { Runtime } from '../../runtime';
import { negotiate, sendCsv } from '../csv-negotiation';
import { locals } from '../locals';

/** /v1/tactics: which personalization tactics work, and for whom. */
export function tacticsRouter(rt: Runtime): Router {
  const router = Router();

  router.get('/v1/tactics', async (_req, res) => {
    res.json({ items: await rt.results.tactics() });
  });

  router.get('/v1/tactics/:tactic', async (req, res) => {
    const format = negotiate(req);
    const card = await rt.results.scorecard(locals(res).params.tactic);
    if (format === 'csv') sendCsv(res, `${card.tactic}-scorecard.csv`, scorecardCsv(card));
    else res.json(card);
  });
  return router;
}
