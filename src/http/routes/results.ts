import type { DecisionOptions } from '../../results/decision';
import { resultsCsv } from '../../results/results-csv';
import type { Runtime } from '../../runtime';
import { negotiate, sendCsv } from '../csv-negotiation';
import type { Handlers } from '../handlers';
import { locals } from '../locals';

/** /v1/experiments/{key}/counts, /results, /results/daily and /decision: what an experiment shows so far. */
export function resultHandlers(rt: Runtime): Handlers {
  return {
    async getExperimentCounts(_req, res) {
      res.json(await rt.results.counts(locals(res).params.key));
    },
    async getExperimentResults(req, res) {
      const q = locals(res).query as { metric?: string; segment?: string };
      const format = negotiate(req);
      const results = await rt.results.results(locals(res).params.key, { metric: q.metric, segment: q.segment });
      if (format === 'csv') sendCsv(res, `${results.experiment}-results.csv`, resultsCsv(results));
      else res.json(results);
    },
    async getExperimentDailyResults(_req, res) {
      const q = locals(res).query as { metric?: string };
      res.json(await rt.results.daily(locals(res).params.key, { metric: q.metric }));
    },
    async getExperimentDecision(_req, res) {
      const q = locals(res).query as { metric?: string; minLift?: number; minDays?: number; acknowledge?: DecisionOptions['acknowledge'] };
      res.json(await rt.results.decision(locals(res).params.key, { metric: q.metric, minLift: q.minLift, minDays: q.minDays, acknowledge: q.acknowledge }));
    },
  };
}
