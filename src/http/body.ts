import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import { VerdictError, invalid } from '../errors';

/**
 * Request bodies, read the same way on every route (the gateway in app.ts and the lean
 * POST /v1/assign): one rule for the content type, one reader (body-parser's JSON parser, as
 * express ships it: the size limit, UTF charsets, compressed bodies where the route takes
 * them), and the same errors, which problem.ts turns into 400, 413 and 415.
 */

/** application/json, or any +json type (application/merge-patch+json, ...). */
const JSON_MEDIA_TYPE = /^application\/([a-z0-9.+-]*\+)?json$/i;

/** Whether the request declares a body at all (a length other than 0, or chunks). */
export function declaresBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** 415 unless the body is declared as JSON. */
export function requireJsonContentType(req: IncomingMessage): void {
  const type = req.headers['content-type'];
  const mediaType = (type ?? '').split(';')[0].trim();
  if (!JSON_MEDIA_TYPE.test(mediaType)) {
    throw new VerdictError('unsupported_media_type', `send the body as application/json (got ${type ? `"${type}"` : 'no Content-Type'})`);
  }
}

export const bodyRequired = (): VerdictError => invalid('a JSON body is required', [{ field: '/', message: 'is required' }]);

type Parser = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
const parsers = new Map<string, Parser>();

/**
 * The request's JSON body, parsed (undefined when it declares none). `compressed: false`: the
 * route reads a body as it comes, so one with a Content-Encoding other than identity is a 415
 * that says so, rather than "not valid JSON".
 */
export async function readJsonBody(req: IncomingMessage, res: ServerResponse, options: { limit: number; compressed: boolean }): Promise<unknown> {
  if (!options.compressed) {
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      throw new VerdictError('unsupported_media_type', `send the body uncompressed (got Content-Encoding "${encoding}")`);
    }
  }
  const id = `${options.limit}:${options.compressed}`;
  let parse = parsers.get(id);
  if (!parse) parsers.set(id, (parse = express.json({ limit: options.limit, inflate: options.compressed, strict: true, type: () => true }) as Parser));
  await new Promise<void>((resolve, reject) => parse(req, res, (err) => (err ? reject(err) : resolve())));
  return (req as IncomingMessage & { body?: unknown }).body;
}
