import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
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
  if (!options.compressed && plainUtf8(req, options.limit)) {
    const bytes = await readAll(req, Number(req.headers['content-length']));
    const parsed = parseStrict(bytes);
    if (parsed !== undefined) return parsed;
    // Anything else (not JSON, a BOM, a scalar): body-parser's own answer, from the same bytes.
    return runParser(parse, replay(req, bytes), res);
  }
  return runParser(parse, req, res);
}

async function runParser(parse: Parser, req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  await new Promise<void>((resolve, reject) => parse(req, res, (err) => (err ? reject(err) : resolve())));
  return (req as IncomingMessage & { body?: unknown }).body;
}

/*
 * The lean reader (POST /v1/assign): a body with a Content-Length within the limit, no
 * Content-Encoding or Transfer-Encoding, UTF-8 (no charset, or charset=utf-8), whose text is
 * a JSON object or array, is read and parsed here; it is the storefront's every request, and
 * body-parser's machinery (raw-body, iconv-lite, debug, content-type parsing) cost several
 * times the assignment itself. Every other body, and every body this reader does not accept
 * as is, goes to body-parser (replayed from the bytes read), so answers and errors stay
 * body-parser's.
 */
const UTF8_CHARSET = /;\s*charset\s*=\s*"?utf-8"?\s*$/i;

function plainUtf8(req: IncomingMessage, limit: number): boolean {
  const h = req.headers;
  const length = h['content-length'];
  if (length === undefined || h['transfer-encoding'] !== undefined || h['content-encoding'] !== undefined) return false;
  const n = Number(length);
  if (!Number.isInteger(n) || n <= 0 || n > limit || String(n) !== length) return false;
  const type = h['content-type'] ?? '';
  const semi = type.indexOf(';');
  return semi < 0 || UTF8_CHARSET.test(type.slice(semi));
}

/** The body's bytes; fails like raw-body (type request.aborted / request.size.invalid) when the request ends early. */
function readAll(req: IncomingMessage, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      req.off('close', onClose);
    };
    const fail = (message: string, type: string, extra: Record<string, unknown> = {}) => {
      cleanup();
      reject(Object.assign(new Error(message), { type, status: 400, statusCode: 400, expose: true, expected: length, received, ...extra }));
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      if (received !== length) return fail('request size did not match content length', 'request.size.invalid', { length });
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onAborted = () => fail('request aborted', 'request.aborted', { code: 'ECONNABORTED' });
    const onClose = () => {
      if (!req.complete) onAborted();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
    req.on('close', onClose);
  });
}

/** JSON.parse of UTF-8 text starting (after JSON whitespace) with { or [, as body-parser's strict mode takes; undefined for anything else. */
function parseStrict(bytes: Buffer): unknown {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  if (bytes[i] !== 0x7b && bytes[i] !== 0x5b) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** A request stream with the same headers that yields these bytes (for body-parser, after the lean reader read them). */
function replay(req: IncomingMessage, bytes: Buffer): IncomingMessage {
  const stream = Readable.from([bytes], { objectMode: false });
  return Object.assign(stream, { headers: req.headers, method: req.method, url: req.url, httpVersion: req.httpVersion, socket: req.socket }) as unknown as IncomingMessage;
}
