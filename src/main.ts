import { ConfigError, loadConfig } from './config';
import { startServer } from './http/server';
import { createLogger } from './logger';

/**
 * `npm start`: serve the API. With no DATABASE_URL the embedded PGlite in ./data is used,
 * with no REDIS_URL an in-process cache. On the embedded default, the first start with
 * no admin key creates one and prints it once.
 */
async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`verdict: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const running = await startServer(config, logger, {
    onReady: async (rt) => {
      if (config.databaseUrl || config.adminKey) return;
      const key = await rt.keys.bootstrapAdmin();
      if (key) {
        process.stdout.write(
          `\n  No admin key existed, so one was created. It is shown this once:\n\n    ${key.secret}\n\n` +
            `  Use it as "Authorization: Bearer <key>"; create narrower keys with POST /v1/keys or npm run keys.\n\n`,
        );
      }
    },
  });
  logger.info({ port: running.port, database: config.databaseUrl ? 'postgres' : `pglite (${config.dataDir})`, cache: config.redisClusterNodes ? 'redis cluster' : config.redisUrl ? 'redis' : 'memory', replica: Boolean(config.databaseReplicaUrl) }, 'listening');
  running.ready.then(
    () => logger.info('ready'),
    (err) => {
      logger.fatal({ err }, 'could not open storage');
      process.exit(1);
    },
  );

  let signals = 0;
  const stop = (signal: string) => {
    if (++signals > 1) process.exit(1);
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    running.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err) => {
        logger.error({ err }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
