import { createSession } from 'better-sse';
import type { Request, Response } from 'express';
import { VerdictError } from '../../errors';
import type { Runtime } from '../../runtime';
import type { ConfigShape } from '../../serving/config-snapshot';
import type { Handlers } from '../handlers';
import { locals } from '../locals';

/**
 * GET /v1/config and /v1/config/stream: the SDK's snapshot, whole (ETag, 304) or as
 * Server-Sent Events. The events are better-sse's (a kept library: framing, keep-alive
 * comments, retry hint, Last-Event-ID); each new registry version (a change on this instance,
 * or on another one through Redis pub/sub) is pushed to every open stream at once.
 */
const KEEP_ALIVE_MS = 15_000;

/**
 * The shape asked for (`?shape=`), else the key's own: browser for a browser key, server for
 * any other. A browser key never gets the server shape (403), whatever it asks.
 */
function shapeOf(res: Response): ConfigShape {
  const { query, principal } = locals(res);
  const browserKey = principal?.browser === true;
  if (query.shape === 'server' && browserKey) {
    throw new VerdictError('forbidden', 'a browser key reads the browser-safe configuration only (shape=browser); the server shape needs an assign key not marked browser', {
      type: 'browser-key',
    });
  }
  if (query.shape === 'browser' || query.shape === 'server') return query.shape;
  return browserKey ? 'browser' : 'server';
}

/** Whether an If-None-Match header names this ETag (or is `*`). */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}

export function configHandlers(rt: Runtime): Handlers {
  return {
    getConfig(req: Request, res: Response) {
      const { json, etag } = rt.snapshots.current(shapeOf(res));
      res.setHeader('ETag', etag);
      res.setHeader('Cache-Control', 'no-cache');
      if (matchesEtag(req.headers['if-none-match'], etag)) return void res.status(304).end();
      res.status(200).type('application/json; charset=utf-8').send(json);
    },
    async streamConfig(req: Request, res: Response) {
      const shape = shapeOf(res);
      // A HEAD has no body to stream: Node would hold its headers back until the end, which never
      // comes, and the connection would hang open. Answer the headers alone, and end.
      if (req.method === 'HEAD') return void res.status(200).type('text/event-stream').setHeader('Cache-Control', 'no-cache').end();
      const session = await createSession(req, res, {
        keepAlive: KEEP_ALIVE_MS,
        retry: 1000,
        serializer: (data) => data as string,
        headers: { 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' },
      });
      let sent = -1;
      const send = () => {
        if (!session.isConnected) return;
        const { snapshot, json } = rt.snapshots.current(shape);
        if (snapshot.version === sent) return;
        sent = snapshot.version;
        session.push(json, 'config', String(snapshot.version));
      };
      const stop = rt.snapshots.subscribe(send);
      session.once('disconnected', stop);
      send();
    },
  };
}
