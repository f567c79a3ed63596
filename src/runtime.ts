import type { Config } from './config.js';
import { createDatabase } from './db/client.js';
import type { Deps } from './deps.js';
import { closeQueues, createQueues } from './jobs/queues.js';
import { PiiCipher } from './lib/crypto.js';
import { createRedis } from './lib/redis.js';
import { configureAuditKeys } from './modules/audit/audit-keys.js';

/** Build the process-wide dependencies from config; `close` releases them in reverse order. */
export function createDeps(config: Config, opts: { poolMax?: number; name?: string } = {}): Deps & { close(): Promise<void> } {
  configureAuditKeys(config.auditChainKey);
  const database = createDatabase(config.databaseUrl, { max: opts.poolMax ?? config.pgPoolMax, applicationName: opts.name, connectTimeoutMs: config.pgConnectTimeoutMs,
    statementTimeoutMs: config.pgStatementTimeoutMs, idleInTransactionTimeoutMs: config.pgIdleInTransactionTimeoutMs });
  const redis = createRedis({ url: config.redisUrl, cluster: config.redisCluster });
  const queues = createQueues(redis, config.queuePrefix);
  return {
    config,
    db: database.db,
    pool: database.pool,
    redis,
    queues,
    pii: new PiiCipher(config.dataEncryptionKey, { version: config.dataKeyVersion, previous: config.previousDataKeys, indexKey: config.blindIndexKey }),
    now: () => new Date(),
    async close() {
      await closeQueues(queues).catch(() => {});
      redis.disconnect();
      await database.close().catch(() => {});
    },
  };
}
