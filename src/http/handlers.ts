import type { Request, Response } from 'express';
import type { OperationId } from '../contract';

/**
 * What answers one operation. The gateway (app.ts) has already matched the request to its
 * operation in openapi.yaml, authorized it, read its body and validated everything, and left
 * the result on res.locals (locals.ts); a handler calls a service and writes the answer.
 */
export type Handler = (req: Request, res: Response) => unknown;

/** Handlers by operationId: a route is bound by the spec's operation, never by a second path string. */
export type Handlers = Partial<Record<OperationId, Handler>>;
