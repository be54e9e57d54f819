import type { Response } from 'express';
import { invalid } from '../../errors';
import type { ExperimentCreate, ExperimentRow, ExperimentStatus, ExperimentUpdate } from '../../model/experiment';
import { TRANSITIONS, type Action } from '../../model/lifecycle';
import type { Runtime } from '../../runtime';
import { etagOf, expectedVersions } from '../conditional';
import type { Handlers } from '../handlers';
import { actorOf as actor, locals } from '../locals';

/** /v1/experiments: create, list, read, update, lifecycle transitions, history, re-aggregation. */
function present(row: ExperimentRow) {
  const { id: _id, uid: _uid, narrowedAt: _narrowedAt, ...experiment } = row;
  return experiment;
}

function sendExperiment(res: Response, row: ExperimentRow, status = 200) {
  res.status(status).set('ETag', etagOf(row.version)).json(present(row));
}

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

export function experimentHandlers(rt: Runtime): Handlers {
  const { experiments } = rt;
  const key = (res: Response) => locals(res).params.key;
  // Where a new experiment is read: the contract's path for getExperiment (/v1/experiments/{key}).
  const experimentPath = rt.contract.operations.find((o) => o.operationId === 'getExperiment')!.path;

  const handlers: Handlers = {
    async listExperiments(_req, res) {
      const q = locals(res).query as { status?: ExperimentStatus[]; tactic?: string; limit: number; cursor?: string };
      const rows = await experiments.list({
        statuses: q.status,
        tactic: q.tactic,
        limit: q.limit + 1,
        beforeId: q.cursor ? decodeCursor(q.cursor) : undefined,
      });
      const page = rows.slice(0, q.limit);
      res.json({ items: page.map(present), nextCursor: rows.length > q.limit ? encodeCursor(page[page.length - 1].id) : null });
    },
    async createExperiment(req, res) {
      const row = await experiments.create(actor(res), req.body as ExperimentCreate);
      res.set('Location', experimentPath.replace('{key}', encodeURIComponent(row.key)));
      sendExperiment(res, row, 201);
    },
    async getExperiment(_req, res) {
      sendExperiment(res, await experiments.get(key(res)));
    },
    async updateExperiment(req, res) {
      sendExperiment(res, await experiments.update(actor(res), key(res), req.body as ExperimentUpdate, expectedVersions(req)));
    },
    async getExperimentHistory(_req, res) {
      res.json({ items: await experiments.history(key(res)) });
    },
    async reaggregateExperiment(_req, res) {
      res.json(await rt.unitData.reaggregate(actor(res), key(res)));
    },
  };
  // POST /v1/experiments/{key}/start, .../pause, ...: operations startExperiment, pauseExperiment, ...
  for (const action of Object.keys(TRANSITIONS) as Action[]) {
    handlers[`${action}Experiment`] = async (req, res) => {
      // Completing is a barrier for this instance's first exposures: those queued from /v1/assign
      // (written every EXPOSURE_FLUSH_MS, and with the embedded database in a worker the queue
      // can run thousands behind under load) are written first, so results read once the
      // completion is answered count every unit assigned before it (the demo reads them at once).
      // Other instances' queues land within their own flush interval, attributed up to completed_at.
      if (action === 'complete') await rt.exposures.flush();
      sendExperiment(res, await experiments.transition(actor(res), key(res), action, expectedVersions(req)));
    };
  }
  return handlers;
}
