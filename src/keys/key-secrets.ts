import { createHash, randomBytes } from 'node:crypto';

/**
 * API keys: `vk_` + 32 random bytes (base64url). The key is shown once; only its
 * sha256 is stored, so a leaked database does not leak working keys. A key of that
 * entropy needs no slow hash (there is nothing to brute-force).
 */
export function newKeySecret(): string {
  return 'vk_' + randomBytes(32).toString('base64url');
}

export function newKeyId(): string {
  return 'key_' + randomBytes(9).toString('base64url').replace(/[^A-Za-z0-9]/g, '').slice(0, 12).padEnd(12, '0');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
