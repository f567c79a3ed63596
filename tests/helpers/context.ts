import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Deps } from '../../src/deps.js';
import { deleteByPrefix } from '../../src/lib/redis.js';
import { createDeps } from '../../src/runtime.js';
import { createTestDatabase } from './db.js';

export const ADMIN_KEY = 'wg_test_admin_key_0123456789abcdef';
export const TEST_DEK = Buffer.alloc(32, 7).toString('base64');

export interface TestContext {
  app: FastifyInstance;
  deps: Deps;
  config: Config;
  dbName: string;
  /** Authorization header for the bootstrap admin. */
  admin: { authorization: string };
  close(): Promise<void>;
}

/**
 * One per test file: its own database cloned from the migrated template, its own BullMQ prefix,
 * the real app over real Postgres and Redis.
 */
export async function createTestContext(env: Record<string, string> = {}, beforeReady?: (app: FastifyInstance) => void): Promise<TestContext> {
  const db = await createTestDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    ADMIN_API_KEY: ADMIN_KEY,
    DATA_ENCRYPTION_KEY: TEST_DEK,
    QUEUE_PREFIX: `{wgt_${randomBytes(4).toString('hex')}}`,
    LOG_LEVEL: 'silent',
    ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true',
    // A loaded 2-core CI box can queue many concurrent requests on a small pool: wait, do not fail.
    PG_CONNECT_TIMEOUT_MS: '30000',
    ...env,
  });
  const deps = createDeps(config, { poolMax: 10, name: 'wageguard-test' });
  const app = await buildApp(deps, { logger: false });
  beforeReady?.(app);
  await app.ready();
  return {
    app,
    deps,
    config,
    dbName: db.name,
    admin: { authorization: `Bearer ${ADMIN_KEY}` },
    async close() {
      await app.close();
      // Drop this file's queue keys so Redis does not fill up across runs.
      await deleteByPrefix(deps.redis, config.queuePrefix).catch(() => 0);
      await deps.close();
      await db.drop().catch(() => {});
    },
  };
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
