/**
 * The cache seam: Redis (ioredis) when REDIS_URL is set, otherwise an in-process
 * equivalent with the same interface. Used for what must be fast or shared between
 * instances: change notifications (pub/sub) and short-lived keyed values.
 */
export type Unsubscribe = () => Promise<void>;

export interface Cache {
  /** Which backend runs: for operators (/readyz) only; code decides on `shared`. */
  readonly backend: 'redis' | 'memory';
  /**
   * Values are shared with the other instances and outlive this process (Redis): they need
   * an expiry, and reading them costs a round trip. False: they live and die with this process.
   */
  readonly shared: boolean;
  get(key: string): Promise<string | null>;
  mget(keys: readonly string[]): Promise<(string | null)[]>;
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  /** Many SETs at once (one round trip on Redis). */
  setMany(entries: readonly (readonly [string, string])[], ttlSeconds?: number): Promise<void>;
  /** SET NX: true when the key was absent and is now set. */
  setIfAbsent(key: string, value: string, ttlSeconds?: number): Promise<boolean>;
  del(key: string): Promise<void>;
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, onMessage: (message: string) => void): Promise<Unsubscribe>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
