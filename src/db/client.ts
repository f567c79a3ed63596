import pg from 'pg';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import * as schema from './schema/index.js';

// bigint (int8) stays a string in pg by default; we convert explicitly with fenFromDb so an
// out-of-range value fails loudly instead of silently losing precision.
export type Schema = typeof schema;
export type Db = NodePgDatabase<Schema>;
/** A transaction handle has the same query surface; services accept either. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export interface Database {
  pool: pg.Pool;
  db: Db;
  close(): Promise<void>;
}

export function createDatabase(url: string, opts: { max?: number; applicationName?: string; connectTimeoutMs?: number; statementTimeoutMs?: number; idleInTransactionTimeoutMs?: number } = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 20,
    application_name: opts.applicationName ?? 'wageguard',
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
    // Server-side limits per connection: a runaway statement, or a transaction left idle by a stalled
    // caller, gives its pooled connection back instead of holding it (and its locks) indefinitely.
    ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs } : {}),
    ...(opts.idleInTransactionTimeoutMs ? { idle_in_transaction_session_timeout: opts.idleInTransactionTimeoutMs } : {}),
  });
  // An idle client losing its connection (Postgres restart) must not crash the process.
  pool.on('error', () => {});
  // A checked-out client whose server goes away (Postgres restart) emits 'error' on the client, not the
  // pool; unhandled, that would kill the process. The query in flight still rejects and is handled.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const db = drizzle(pool, { schema });
  return { pool, db, close: () => pool.end() };
}

export { schema };
