import type pg from 'pg';
import type { Config } from './config.js';
import type { Db } from './db/client.js';
import type { Queues } from './jobs/queues.js';
import type { PiiCipher } from './lib/crypto.js';
import type { RedisClient } from './lib/redis.js';

/** Everything a service, route or job needs from the outside world, built once per process. */
export interface Deps {
  config: Config;
  db: Db;
  pool: pg.Pool;
  redis: RedisClient;
  queues: Queues;
  pii: PiiCipher;
  /** The clock for infrastructure (signature windows, created_at). Business rules take `asOf`. */
  now: () => Date;
}
