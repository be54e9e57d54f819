import { createSession } from 'better-sse';
import type { Request, Response } from 'express';
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

function shapeOf(res: Response): ConfigShape {
  const { query } = locals(res);
  return query.shape === 'browser' ? 'browser' : 'server';
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
      // HEAD: the stream's headers and no body. Opened as a stream it would never send its
      // headers (nothing of an event stream is written to a HEAD answer) nor end.
      if (req.method === 'HEAD') {
        res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' }).end();
        return;
      }
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
