import type { Scope } from '../../model/api-key';
import type { Runtime } from '../../runtime';
import type { Handlers } from '../handlers';
import { actorOf, locals } from '../locals';

/** /v1/keys: admin-only key management. A new key's secret is in the create response only. */
export function keyHandlers(rt: Runtime): Handlers {
  return {
    async listKeys(_req, res) {
      res.json({ items: await rt.keys.list() });
    },
    async createKey(req, res) {
      const { name, scope } = req.body as { name: string; scope: Scope };
      res.status(201).json(await rt.keys.create(actorOf(res), name, scope));
    },
    async revokeKey(_req, res) {
      await rt.keys.revoke(actorOf(res), locals(res).params.id);
      res.status(204).end();
    },
  };
}
