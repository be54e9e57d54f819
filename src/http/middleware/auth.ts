import type { IncomingMessage } from 'node:http';
import { VerdictError } from '../../errors';
import type { Authenticator, Principal } from '../../keys/authenticator';
import { scopeAllows, type Scope } from '../../model/api-key';
import type { Operation } from '../../contract';

/**
 * Authorization: Bearer <key>. No key or an unknown or revoked one -> 401; a key whose
 * scope does not cover the operation (from the spec's x-scope) -> 403.
 */
const BEARER = /^Bearer\s+(\S+)\s*$/i;

const challenge = { 'WWW-Authenticate': 'Bearer realm="verdict"' };

/** The keys an operation of this scope accepts (an admin key passes everywhere). */
const NEEDS: Record<Scope, string> = { assign: 'an assign or admin key', read: 'a read or admin key', admin: 'an admin key' };

/** The key in the Authorization header (throws 401 when there is none). */
function presentedKey(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (!header) {
    throw new VerdictError('unauthorized', 'send an API key as "Authorization: Bearer <key>"', { type: 'missing-key', headers: challenge });
  }
  const m = BEARER.exec(header);
  return m ? m[1] : null;
}

function check(principal: Principal | null, operation: Operation & { scope: Scope }): Principal {
  if (!principal) {
    throw new VerdictError('unauthorized', 'the API key is not valid (unknown, revoked or malformed)', { type: 'invalid-key', headers: challenge });
  }
  if (!scopeAllows(principal.scope, operation.scope)) {
    throw new VerdictError('forbidden', `${operation.action} needs ${NEEDS[operation.scope]}; this key has scope ${principal.scope}`, {
      type: 'insufficient-scope',
    });
  }
  return principal;
}

export async function authorize(req: IncomingMessage, operation: Operation, authenticator: Authenticator): Promise<Principal | null> {
  if (!operation.scope) return null;
  const key = presentedKey(req);
  return check(key ? await authenticator.authenticate(key) : null, operation as Operation & { scope: Scope });
}

/**
 * The same check without waiting, for a key seen in the last seconds; undefined when the
 * key must be looked up (then call `authorize`). Lets the hot path skip a promise.
 */
export function authorizeCached(req: IncomingMessage, operation: Operation, authenticator: Authenticator): Principal | null | undefined {
  if (!operation.scope) return null;
  const key = presentedKey(req);
  if (!key) return check(null, operation as Operation & { scope: Scope });
  const principal = authenticator.cached(key);
  return principal === undefined ? undefined : check(principal, operation as Operation & { scope: Scope });
}
