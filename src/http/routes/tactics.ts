import { scorecardCsv } from '../../results/results-csv';
import type { Runtime } from '../../runtime';
import { negotiate, sendCsv } from '../csv-negotiation';
import type { Handlers } from '../handlers';
import { locals } from '../locals';

/** /v1/tactics: which personalization tactics work, and for whom. */
export function tacticHandlers(rt: Runtime): Handlers {
  return {
    async listTactics(_req, res) {
      res.json({ items: await rt.results.tactics() });
    },
    async getTacticScorecard(req, res) {
      const format = negotiate(req);
      const q = locals(res).query as { include?: 'completed' | 'running'; minDays?: number };
      const card = await rt.results.scorecard(locals(res).params.tactic, { include: q.include, minDays: q.minDays });
      if (format === 'csv') sendCsv(res, `${card.tactic}-scorecard.csv`, scorecardCsv(card));
      else res.json(card);
    },
  };
}
