import type { IncomingMessage } from 'node:http';
import { VerdictError } from '../../errors';
import type { Authenticator, Principal } from '../../keys/authenticator';
import { scopeAllows } from '../../keys/keys';
import type { Operation } from '../openapi';

/**
 * Authorization: Bearer <key>. No key or an unknown or revoked one -> 401; a key whose
 * scope does not cover the operation (from the spec's x-scope) -> 403.
 */
const BEARER = /^Bearer\s+(\S+)\s*$/i;

export async function authorize(req: IncomingMessage, operation: Operation, authenticator: Authenticator): Promise<Principal | null> {
  if (!operation.scope) return null;
  const header = req.headers.authorization;
  const challenge = { 'WWW-Authenticate': 'Bearer realm="verdict"' };
  if (!header) {
    throw new VerdictError('unauthorized', 'send an API key as "Authorization: Bearer <key>"', { type: 'missing-key', headers: challenge });
  }
  const m = BEARER.exec(header);
  const principal = m ? await authenticator.authenticate(m[1]) : null;
  if (!principal) {
    throw new VerdictError('unauthorized', 'the API key is not valid (unknown, revoked or malformed)', { type: 'invalid-key', headers: challenge });
  }
  if (!scopeAllows(principal.scope, operation.scope)) {
    throw new VerdictError('forbidden', `this key has scope "${principal.scope}"; ${operation.operationId} needs scope "${operation.scope}" (or admin)`, {
      type: 'insufficient-scope',
    });
  }
  return principal;
}
