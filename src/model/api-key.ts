import type { components } from '../contract/schema';

/**
 * API keys as the domain knows them: a key has one scope, `assign` (what a storefront
 * embeds), `read` (experiments, results, decisions) or `admin` (everything, including keys).
 * An assign key may be marked `browser` (the key a web page embeds): it reads the
 * configuration in its browser-safe shape only. Pure: the secrets themselves are
 * keys/key-secrets.ts's.
 */
export type Scope = components['schemas']['Scope'];
/** A key as listed (never with its secret). */
export type ApiKey = components['schemas']['ApiKey'];

export const SCOPES: readonly Scope[] = ['assign', 'read', 'admin'];

/** Only an assign key can be a browser key: a page must never hold a key that reads or changes experiments. */
export function browserMarkAllowed(scope: Scope, browser: boolean): boolean {
  return !browser || scope === 'assign';
}

/** Does a key of scope `has` allow an operation that requires `needs`? Admin allows everything. */
export function scopeAllows(has: Scope, needs: Scope): boolean {
  return has === 'admin' || has === needs;
}
