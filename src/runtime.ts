import { demoClock, systemClock, type Clock } from './clock';
import type { Config } from './config';
import { contract, type Contract } from './contract';
import { createExposureRecorder, type ExposureRecorder } from './serving/exposure-recorder';
import { createIngestor, type Ingestor } from './events/event-ingestor';
import { createUnitData, type UnitData } from './events/unit-data';
import { createResultsService, type ResultsService } from './results/results-service';
import { createAssigner, type Assigner } from './serving/assigner';
import { createRegistry, type Registry } from './serving/registry';
import { createConfigSource, type ConfigSource } from './serving/config-snapshot';
import { createExperimentService, type ExperimentService } from './experiments/experiment-service';
import { Registry as MetricsRegistry, collectDefaultMetrics } from 'prom-client';
import { createAuthenticator, type Authenticator } from './keys/authenticator';
import { createKeyService, type KeyService } from './keys/key-service';
import type { Logger } from './logger';
import { scopeCache, type Cache, type Limiter } from './store/cache';
import type { Db } from './store/db';
import { createMemoryCache } from './store/memory-cache';
import { lockDataDir } from './store/data-dir-lock';
import { checkCacheIdentity, databaseIdentity } from './store/identity-store';
import { migrate } from './store/migrate';
import { maintainEvents, type MaintenanceReport } from './store/event-partitions';
import { openPglite } from './store/pglite';
import { connectPostgres } from './store/postgres';
import { connectRedis } from './store/redis-cache';
import { replicaReads } from './store/replica';

/**
 * The composition root: opens storage and cache for the configuration, applies the
 * migrations, and wires the services. The HTTP server, the CLIs and the tests all start
 * from here, so they run the same code.
 */
export interface Runtime {
  config: Config;
  logger: Logger;
  db: Db;
  /** The database's identity (migration 006): the scope of everything it keeps in the cache. */
  identity: string;
  /** The cache, scoped to this database (every key and channel under `identity + ':'`). */
  cache: Cache;
  contract: Contract;
  /** The service's time: the system clock, or the settable demo clock (VERDICT_DEMO_CLOCK). */
  clock: Clock;
  /** Prometheus metrics of this process (GET /metrics): Node's, the services' and the HTTP layer's. */
  metrics: MetricsRegistry;
  authenticator: Authenticator;
  /** Requests per API key (RATE_LIMIT_POINTS per RATE_LIMIT_WINDOW_SECONDS); absent when RATE_LIMIT_POINTS is 0. */
  rateLimit?: Limiter;
  experiments: ExperimentService;
  keys: KeyService;
  registry: Registry;
  exposures: ExposureRecorder;
  assigner: Assigner;
  /** The SDK's configuration snapshot (GET /v1/config and its stream). */
  snapshots: ConfigSource;
  ingestor: Ingestor;
  unitData: UnitData;
  results: ResultsService;
  close(): Promise<void>;
}

export async function openDb(config: Config): Promise<Db> {
  if (config.databaseUrl) return connectPostgres(config.databaseUrl, { max: config.databasePoolSize });
  const unlock = lockDataDir(config.dataDir);
  try {
    const db = await openPglite({ dataDir: config.dataDir });
    return {
      ...db,
      async close() {
        await db.close();
        unlock();
      },
    };
  } catch (err) {
    unlock();
    throw err;
  }
}

export function openCache(config: Config): Cache {
  if (config.redisClusterNodes) return connectRedis({ cluster: config.redisClusterNodes }, config.redisPrefix);
  return config.redisUrl ? connectRedis(config.redisUrl, config.redisPrefix) : createMemoryCache();
}

/** How long a start waits for Redis before it goes on without it (it degrades, then catches up). */
const CACHE_WAIT_MS = 2000;

/** Storage and cache opened by the caller (tests); otherwise from the configuration. */
export interface RuntimeOptions {
  db?: Db;
  cache?: Cache;
}

/** How often each instance checks the raw events' partitions (cheap when nothing is due: a catalog read). */
const EVENT_MAINTENANCE_MS = 3600_000;

function logMaintenance(logger: Logger, r: MaintenanceReport): void {
  if (r.created.length) logger.info({ created: r.created, moved: r.moved }, 'event partitions created');
  if (r.dropped.length) logger.info({ dropped: r.dropped, events: r.droppedEvents, ids: r.droppedIds }, 'event partitions dropped (EVENTS_RETENTION_DAYS)');
}

export async function openRuntime(config: Config, logger: Logger, given: RuntimeOptions = {}): Promise<Runtime> {
  const db = given.db ?? (await openDb(config));
  const base = given.cache ?? openCache(config);
  // The read replica (results): a small pool of its own; reads fall back to the primary.
  const replica = config.databaseReplicaUrl ? connectPostgres(config.databaseReplicaUrl, { max: Math.max(2, Math.ceil(config.databasePoolSize / 2)) }) : undefined;
  let maintenance: NodeJS.Timeout | undefined;
  try {
    const { applied } = await migrate(db);
    if (applied.length) logger.info({ applied }, 'migrations applied');
    // Raw events' monthly partitions made ahead, and the retention applied: now and every hour.
    // A failure is not fatal: events still land, in the default partition, until the next run.
    const maintain = () =>
      maintainEvents(db, { retentionDays: config.eventsRetentionDays }).then(
        (report) => logMaintenance(logger, report),
        (err) => logger.warn({ err: err instanceof Error ? err.message : err }, 'event partition maintenance failed; retried in an hour (events meanwhile go to the default partition)'),
      );
    await maintain();
    maintenance = setInterval(() => void maintain(), EVENT_MAINTENANCE_MS);
    maintenance.unref();
    const identity = await databaseIdentity(db);
    if (!(await base.connected(CACHE_WAIT_MS))) logger.warn('Redis is not reachable: starting without it (assignment answers from this instance; it catches up once Redis is back)');
    // Whose data Redis holds under this prefix: checked at start and whenever Redis comes back.
    const checkIdentity = () =>
      checkCacheIdentity(base, identity, logger, config.redisPrefix).catch((err) =>
        logger.warn({ err: err instanceof Error ? err.message : err }, "could not compare Redis's database identity with this database's"),
      );
    if (base.available()) await checkIdentity();
    const stopChecking = base.onReconnect(() => void checkIdentity());
    const cache = scopeCache(base, `${identity}:`);
    const authenticator = await createAuthenticator(db, cache, logger, config.adminKey);
    const registry = await createRegistry(db, cache, logger);
    const clock = config.demoClock ? demoClock() : systemClock;
    if (config.demoClock) logger.warn('VERDICT_DEMO_CLOCK is on: an admin may set this server\'s clock (PUT /v1/demo/clock). For demos and simulations only.');
    const experiments = createExperimentService(db, cache, { holdoutSalt: config.holdoutSalt, onChanged: registry.apply, clock });
    const keys = createKeyService(db, authenticator);
    const metrics = new MetricsRegistry();
    collectDefaultMetrics({ register: metrics });
    const exposures = createExposureRecorder(db, cache, logger, config.exposureFlushMs, metrics);
    const holdout = { share: config.holdoutShare, salt: config.holdoutSalt };
    const assigner = createAssigner(registry, exposures, holdout, clock);
    const ingestor = createIngestor(db, registry, exposures, contract(), holdout, clock);
    const unitData = await createUnitData(db, cache, exposures, () => registry.all().map((e) => e.row.uid));
    // After a restart on the in-process cache, learn again who was exposed (stickiness, dedupe)
    // before serving, in every experiment that can serve again (running or paused). Bounded
    // (the most recent million); beyond it, narrowed experiments still read the database's
    // record, and elsewhere hashing gives the recorded variant.
    const started = registry.all().filter((e) => e.row.status === 'running' || e.row.status === 'paused');
    const warmed = await exposures.warm(started.map((e) => ({ id: e.row.id, uid: e.row.uid })));
    if (warmed) logger.info({ exposures: warmed }, 'exposure cache warmed');
    return {
      config,
      logger,
      db,
      identity,
      cache,
      contract: contract(),
      clock,
      metrics,
      authenticator,
      rateLimit: config.rateLimitPoints > 0 ? cache.limiter({ keyPrefix: 'rl:', points: config.rateLimitPoints, durationSeconds: config.rateLimitWindowSeconds }) : undefined,
      experiments,
      keys,
      registry,
      exposures,
      assigner,
      snapshots: createConfigSource(registry, holdout),
      ingestor,
      unitData,
      results: createResultsService(db, config.resultsCacheSeconds, replica ? replicaReads(db, replica, metrics) : undefined, clock),
      async close() {
        clearInterval(maintenance);
        await exposures.close();
        await unitData.close();
        await registry.close();
        await authenticator.close();
        stopChecking();
        await cache.close();
        await replica?.close();
        await db.close();
      },
    };
  } catch (err) {
    clearInterval(maintenance);
    await Promise.allSettled([base.close(), db.close(), replica?.close()]);
    throw err;
  }
}
