import type { Scope } from '../../model/api-key';
import type { Runtime } from '../../runtime';
import type { Handlers } from '../handlers';
import { actorOf, locals } from '../locals';

/** A rotated key's overlap when the request names none (openapi.yaml, ApiKeyRotate). */
const DEFAULT_OVERLAP_SECONDS = 86_400;

/** /v1/keys: admin-only key management. A new key's secret is in the create (or rotate) response only. */
export function keyHandlers(rt: Runtime): Handlers {
  return {
    async listKeys(_req, res) {
      res.json({ items: await rt.keys.list() });
    },
    async createKey(req, res) {
      const { name, scope, browser } = req.body as { name: string; scope: Scope; browser?: boolean };
      res.status(201).json(await rt.keys.create(actorOf(res), name, scope, { browser }));
    },
    async rotateKey(req, res) {
      const body = (req.body ?? {}) as { overlapSeconds?: number };
      res.status(201).json(await rt.keys.rotate(actorOf(res), locals(res).params.id, body.overlapSeconds ?? DEFAULT_OVERLAP_SECONDS));
    },
    async revokeKey(_req, res) {
      await rt.keys.revoke(actorOf(res), locals(res).params.id);
      res.status(204).end();
    },
  };
}
