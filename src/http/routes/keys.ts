import { Router } from 'express';
import type { Runtime } from '../../runtime';
import type { Scope } from '../../model/api-key';
import { actorOf } from '../locals';

/** /v1/keys: admin-only key management. A new key's secret is in the create response only. */
export function keysRouter(rt: Runtime): Router {
  const router = Router();

  router.get('/v1/keys', async (_req, res) => {
    res.json({ items: await rt.keys.list() });
  });

  router.post('/v1/keys', async (req, res) => {
    const { name, scope } = req.body as { name: string; scope: Scope };
    res.status(201).json(await rt.keys.create(actorOf(res), name, scope));
  });

  router.delete('/v1/keys/:id', async (req, res) => {
    await rt.keys.revoke(actorOf(res), String(req.params.id));
    res.status(204).end();
  });
  return router;
}
