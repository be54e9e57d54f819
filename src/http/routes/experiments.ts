import { Router, type Request, type Response } from 'express';
import type { Action } from '../../model/lifecycle';
import type { ExperimentCreate, ExperimentRow, ExperimentStatus, ExperimentUpdate } from '../../model/experiment';
import { etagOf } from '../../experiments/experiment-service';
import { invalid } from '../../errors';
import type { Runtime } from '../../runtime';
import { resultsCsv } from '../../results/results-csv';
import { negotiate, sendCsv } from '../csv-negotiation';
import { actorOf as actor, locals } from '../locals';

/** /v1/experiments: create, list, read, update, lifecycle transitions, history. */
function present(row: ExperimentRow) {
  const { id: _id, uid: _uid, narrowedAt: _narrowedAt, ...experiment } = row;
  return experiment;
}

function sendExperiment(res: Response, row: ExperimentRow, status = 200) {
  res.status(status).set('ETag', etagOf(row)).json(present(row));
}

const ifMatch = (req: Request) => (typeof req.headers['if-match'] === 'string' ? req.headers['if-match'] : undefined);

export function encodeCursor(id: number): string {
  return Buffer.from(`id:${id}`).toString('base64url');
}

/** experiments.id is a PostgreSQL `integer`: a larger id was never given out (and the database would refuse it). */
const MAX_ID = 2_147_483_647;

export function decodeCursor(cursor: string): number {
  const m = /^id:(\d{1,10})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const id = m ? Number(m[1]) : NaN;
  if (!(id <= MAX_ID)) throw invalid('the cursor is not one this API gave out', [{ field: 'query.cursor', message: 'is not a valid cursor' }]);
  return id;
}

export function experimentsRouter(rt: Runtime): Router {
  const router = Router();
  const { experiments } = rt;

  router.get('/v1/experiments', async (_req, res) => {
    const q = locals(res).query as { status?: ExperimentStatus[]; tactic?: string; limit: number; cursor?: string };
    const rows = await experiments.list({
      statuses: q.status,
      tactic: q.tactic,
      limit: q.limit + 1,
      beforeId: q.cursor ? decodeCursor(q.cursor) : undefined,
    });
    const page = rows.slice(0, q.limit);
    res.json({ items: page.map(present), nextCursor: rows.length > q.limit ? encodeCursor(page[page.length - 1].id) : null });
  });

  router.post('/v1/experiments', async (req, res) => {
    const row = await experiments.create(actor(res), req.body as ExperimentCreate);
    res.set('Location', `/v1/experiments/${row.key}`);
    sendExperiment(res, row, 201);
  });

  router.get('/v1/experiments/:key', async (req, res) => {
    sendExperiment(res, await experiments.get(String(req.params.key)));
  });

  router.patch('/v1/experiments/:key', async (req, res) => {
    sendExperiment(res, await experiments.update(actor(res), String(req.params.key), req.body as ExperimentUpdate, ifMatch(req)));
  });

  for (const action of ['start', 'pause', 'resume', 'complete', 'archive'] as Action[]) {
    router.post(`/v1/experiments/:key/${action}`, async (req, res) => {
      sendExperiment(res, await experiments.transition(actor(res), String(req.params.key), action, ifMatch(req)));
    });
  }

  router.get('/v1/experiments/:key/counts', async (req, res) => {
    res.json(await rt.results.counts(String(req.params.key)));
  });

  router.get('/v1/experiments/:key/results', async (req, res) => {
    const q = locals(res).query as { metric?: string; segment?: string };
    const format = negotiate(req);
    const results = await rt.results.results(String(req.params.key), { metric: q.metric, segment: q.segment });
    if (format === 'csv') sendCsv(res, `${results.experiment}-results.csv`, resultsCsv(results));
    else res.json(results);
  });

  router.get('/v1/experiments/:key/decision', async (req, res) => {
    const q = locals(res).query as { metric?: string; minLift?: number; minDays?: number };
    res.json(await rt.results.decision(String(req.params.key), { metric: q.metric, minLift: q.minLift, minDays: q.minDays }));
  });

  router.post('/v1/experiments/:key/reaggregate', async (req, res) => {
    res.json(await rt.unitData.reaggregate(actor(res), String(req.params.key)));
  });

  router.get('/v1/experiments/:key/history', async (req, res) => {
    res.json({ items: await experiments.history(String(req.params.key)) });
  });
  return router;
}
