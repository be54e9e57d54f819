import type { components } from '../contract/schema';

/**
 * API keys as the domain knows them: a key has one scope, `assign` (what a storefront
 * embeds), `read` (experiments, results, decisions) or `admin` (everything, including keys).
 * Pure: the secrets themselves are keys/key-secrets.ts's.
 */
export type Scope = components['schemas']['Scope'];
/** A key as listed (never with its secret). */
export type ApiKey = components['schemas']['ApiKey'];

export const SCOPES: readonly Scope[] = ['assign', 'read', 'admin'];

/** Does a key of scope `has` allow an operation that requires `needs`? Admin allows everything. */
export function scopeAllows(has: Scope, needs: Scope): boolean {
  return has === 'admin' || has === needs;
}
