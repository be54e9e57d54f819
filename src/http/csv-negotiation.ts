import type { Request, Response } from 'express';
import { VerdictError } from '../errors';

/**
 * Content negotiation for the endpoints that also answer CSV: JSON unless the client asks
 * for text/csv (Accept), 406 when it accepts neither.
 */
export function negotiate(req: Request): 'json' | 'csv' {
  const type = req.accepts(['application/json', 'text/csv']);
  if (type === false) throw new VerdictError('not_acceptable', `this resource is available as application/json or text/csv, not ${req.headers.accept}`);
  return type === 'text/csv' ? 'csv' : 'json';
}

export function sendCsv(res: Response, filename: string, body: string): void {
  res.set('Content-Disposition', `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`);
  res.type('text/csv; charset=utf-8').send(body);
}
