import { VerdictError } from '../../errors';
import type { Principal } from '../../keys/authenticator';
import type { Limiter } from '../../store/cache';

/**
 * Requests per API key (RATE_LIMIT_POINTS per RATE_LIMIT_WINDOW_SECONDS, counted in Redis when
 * it is configured, so the instances share one allowance). Beyond it: 429 with Retry-After,
 * the whole seconds until the window ends. Requests without a key (public operations) and
 * refused keys (401) are not counted: there is no key to charge them to.
 */
export async function limitRate(limiter: Limiter | undefined, principal: Principal | null): Promise<void> {
  if (!limiter || !principal) return;
  refuseOver(await limiter.take(principal.keyId));
}

/**
 * The same without a promise when the limiter can answer at once (in memory, or from a chunk
 * already reserved in Redis): true when the request was counted (and allowed; over the limit
 * it throws), false when the caller must `await limitRate(...)`.
 */
export function limitRateNow(limiter: Limiter | undefined, principal: Principal | null): boolean {
  if (!limiter || !principal) return true;
  const answer = limiter.takeNow(principal.keyId);
  if (answer === null) return false;
  refuseOver(answer);
  return true;
}

function refuseOver({ allowed, msBeforeNext }: { allowed: boolean; msBeforeNext: number }): void {
  if (allowed) return;
  const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  throw new VerdictError('too_many_requests', `this API key has used its requests for now; retry in ${seconds} s`, {
    type: 'rate-limited',
    headers: { 'Retry-After': String(seconds) },
  });
}
