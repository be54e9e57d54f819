import type { Response } from 'express';
import type { Principal } from '../keys/authenticator';
import type { RequestContext } from './middleware/context';
import type { Operation } from '../contract';

/** What the gateway middleware leaves on res.locals for the routers. */
export interface Locals {
  ctx: RequestContext;
  operation: Operation;
  principal: Principal | null;
  /** Query parameters, validated and coerced to their schema types. */
  query: Record<string, unknown>;
  /** Path parameters, decoded, as the spec names them. */
  params: Record<string, string>;
}

export const locals = (res: Response): Locals => res.locals as Locals;

/** The key id of the caller, for the audit log. */
export const actorOf = (res: Response): string => locals(res).principal?.keyId ?? 'anonymous';
