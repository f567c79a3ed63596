import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { Config } from '../config.js';
import { adoptDatabase, createOwnedDatabase, ensureRoles, grantRuntime, userOf, withDatabase } from './roles.js';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');
// Any constant shared by every process of the platform; two starters serialise on it.
const MIGRATION_LOCK = 7_262_840_001;

/** Create the target database when missing (connecting to the `postgres` maintenance database). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`DATABASE_URL names an unusable database "${name}"`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE "${name}"`).catch((e: { code?: string }) => {
        if (e.code !== '42P04') throw e; // created by a concurrent starter
      });
    }
  } finally {
    await client.end();
  }
}

/**
 * Apply pending migrations under a session advisory lock so concurrent starters do not race.
 * `url` connects as the owner role; `runtimeRole` (when another role) then receives the runtime grants.
 */
export async function runMigrations(url: string, runtimeRole?: string, migrationsFolder = MIGRATIONS_DIR): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query('SET client_min_messages = warning');
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await migrate(drizzle(client), { migrationsFolder });
    if (runtimeRole && runtimeRole !== userOf(url)) await grantRuntime(client, runtimeRole);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    await client.end();
  }
}

/**
 * What `npm start` does before serving: in development, create the two roles and the database when the
 * administrator connection may (and say what it did); then migrate as the owner and grant the runtime
 * role; finally check that the runtime connection is not able to switch triggers off.
 */
export async function prepareDatabase(config: Config, say: (line: string) => void): Promise<void> {
  const runtime = userOf(config.databaseUrl);
  const dbName = decodeURIComponent(new URL(config.databaseUrl).pathname.slice(1));
  const migrationUrl = config.migrationDatabaseUrl;
  let created = false;
  if (config.databaseAdminUrl && migrationUrl) {
    const owner = userOf(migrationUrl);
    const admin = config.databaseAdminUrl;
    try {
      const lines = await ensureRoles(admin, [
        { name: owner, password: decodeURIComponent(new URL(migrationUrl).password) || undefined },
        { name: runtime, password: decodeURIComponent(new URL(config.databaseUrl).password) || undefined },
      ]);
      created = await createOwnedDatabase(admin, dbName, owner);
      if (created) lines.push(`created database ${dbName} owned by ${owner}`);
      else {
        const n = await adoptDatabase(withDatabase(admin, dbName), owner);
        if (n) lines.push(`database ${dbName}: ${n} objects handed to ${owner}`);
      }
      say(`database roles (as ${userOf(admin)}): ${lines.join('; ')}`);
    } catch (e) {
      const err = e as Error & { code?: string };
      say(`database roles not created (as ${userOf(admin)}: ${err.code ?? ''} ${err.message.split('\n')[0]}); expecting ${owner} and ${runtime} to exist`);
    }
  }
  if (!migrationUrl) {
    say('migrations not run by this process (no MIGRATION_DATABASE_URL): run `npm run db:migrate` with it');
  } else {
    try {
      if (!created) await ensureDatabase(migrationUrl).catch((e: { code?: string }) => {
        if (e.code !== '42501') throw e; // owner may not CREATEDB: the database must exist already
      });
      await runMigrations(migrationUrl, runtime);
    } catch (e) {
      throw Object.assign(e as Error, { source: 'MIGRATION_DATABASE_URL' });
    }
  }
  const c = new pg.Client({ connectionString: config.databaseUrl, connectionTimeoutMillis: 5_000 });
  await c.connect().catch((e: Error) => {
    throw Object.assign(e, { source: 'DATABASE_URL' });
  });
  try {
    const r = await c.query<{ sup: boolean; srr: boolean }>(
      `SELECT rolsuper AS sup, has_parameter_privilege('session_replication_role', 'SET') AS srr FROM pg_roles WHERE rolname = current_user`,
    );
    const row = r.rows[0];
    if (row && (row.sup || row.srr)) {
      const msg = `DATABASE_URL connects as ${runtime}, which may switch triggers off (superuser or SET session_replication_role); use a runtime role (docs/operations.md)`;
      if (config.nodeEnv === 'production') throw new Error(msg);
      say(`warning: ${msg}`);
    }
  } finally {
    await c.end();
  }
}

// `npm run db:migrate`
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { loadConfig } = await import('../config.js');
  const cfg = loadConfig();
  await prepareDatabase(cfg, (l) => console.log(l));
  if (cfg.migrationDatabaseUrl) console.log('migrations applied');
}
