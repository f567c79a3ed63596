import { Redis } from 'ioredis';
import type { Config } from './config.js';
import { createDatabase } from './db/client.js';
import type { Deps } from './deps.js';
import { closeQueues, createQueues } from './jobs/queues.js';
import { PiiCipher } from './lib/crypto.js';
import { configureAuditKeys } from './modules/audit/audit-keys.js';

/** Build the process-wide dependencies from config; `close` releases them in reverse order. */
export function createDeps(config: Config, opts: { poolMax?: number; name?: string } = {}): Deps & { close(): Promise<void> } {
  configureAuditKeys(config.auditChainKey);
  const database = createDatabase(config.databaseUrl, { max: opts.poolMax ?? config.pgPoolMax, applicationName: opts.name, connectTimeoutMs: config.pgConnectTimeoutMs,
    statementTimeoutMs: config.pgStatementTimeoutMs, idleInTransactionTimeoutMs: config.pgIdleInTransactionTimeoutMs });
  // maxRetriesPerRequest: null is what BullMQ needs; readiness uses its own short timeout.
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
  redis.on('error', () => {}); // reconnects by itself; /readyz reports the outage
  const queues = createQueues(redis, config.queuePrefix);
  return {
    config,
    db: database.db,
    pool: database.pool,
    redis,
    queues,
    pii: new PiiCipher(config.dataEncryptionKey),
    now: () => new Date(),
    async close() {
      await closeQueues(queues).catch(() => {});
      redis.disconnect();
      await database.close().catch(() => {});
    },
  };
}
