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
  const { allowed, msBeforeNext } = await limiter.take(principal.keyId);
  if (allowed) return;
  const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  throw new VerdictError('too_many_requests', `this API key has used its requests for now; retry in ${seconds} s`, {
    type: 'rate-limited',
    headers: { 'Retry-After': String(seconds) },
  });
}
