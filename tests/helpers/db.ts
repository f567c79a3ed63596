import pg from 'pg';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MIGRATIONS_DIR, runMigrations } from '../../src/db/migrate.js';
import { OWNER_ROLE, RUNTIME_ROLE, createOwnedDatabase, ensureRoles, withUser } from '../../src/db/roles.js';

/** An administrator (creates roles and databases); tests themselves never connect as it. */
export const PG_BASE = process.env.TEST_DATABASE_BASE ?? 'postgres://postgres@127.0.0.1:5432';
/** Migrations run as the owner; every test file's app connects as the runtime role (docs/operations.md). */
export const PG_OWNER_BASE = withUser(PG_BASE, OWNER_ROLE).replace(/\/$/, '');
export const PG_RUNTIME_BASE = withUser(PG_BASE, RUNTIME_ROLE).replace(/\/$/, '');
const ROLES_FILE = join(fileURLToPath(import.meta.url), '..', '..', '..', 'src', 'db', 'roles.ts');

/** Template name changes whenever a migration changes, so stale templates are never reused. */
export function templateName(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(MIGRATIONS_DIR).filter((x) => x.endsWith('.sql')).sort()) h.update(f).update(readFileSync(join(MIGRATIONS_DIR, f)));
  h.update(readFileSync(join(MIGRATIONS_DIR, 'meta', '_journal.json')));
  h.update(readFileSync(ROLES_FILE)); // the runtime grants are part of what a template holds
  return 'wg_tpl_' + h.digest('hex').slice(0, 12);
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: `${PG_BASE}/postgres` });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Migrate once into the template (under a lock, several vitest runs may start together). */
export async function ensureTemplate(): Promise<string> {
  const name = templateName();
  await admin(async (c) => {
    await c.query('SELECT pg_advisory_lock(7262840099)');
    try {
      const ok = await c.query(`SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate`, [name]);
      if (ok.rowCount) return;
      await ensureRoles(`${PG_BASE}/postgres`, [{ name: OWNER_ROLE }, { name: RUNTIME_ROLE }]);
      await c.query(`DROP DATABASE IF EXISTS "${name}"`);
      await createOwnedDatabase(`${PG_BASE}/postgres`, name, OWNER_ROLE);
      await runMigrations(`${PG_OWNER_BASE}/${name}`, RUNTIME_ROLE);
      await c.query(`ALTER DATABASE "${name}" WITH is_template = true`);
    } finally {
      await c.query('SELECT pg_advisory_unlock(7262840099)');
    }
  });
  return name;
}

/** A fresh database for one test file, cloned from the template. */
async function runTemplate(): Promise<string> {
  try {
    const { inject } = await import('vitest');
    const t = (inject as (k: string) => unknown)('wgTemplate');
    if (typeof t === 'string') return t;
  } catch {
    /* outside vitest (benchmarks, scripts) */
  }
  return ensureTemplate();
}

export interface TestDatabase {
  /** The runtime role's URL: what the platform under test uses. */
  url: string;
  /** The owner's URL, for setup SQL the runtime role may not run (see `asOwner`). */
  ownerUrl: string;
  name: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(prefix = 'wg_t'): Promise<TestDatabase> {
  const tpl = await runTemplate();
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await admin(async (c) => {
    for (let i = 0; ; i++) {
      try {
        await c.query(`CREATE DATABASE "${name}" TEMPLATE "${tpl}" OWNER ${OWNER_ROLE}`);
        return;
      } catch (e) {
        // Another file cloning the same template at this instant: retry briefly.
        if ((e as { code?: string }).code !== '55006' || i > 50) throw e;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  });
  return {
    url: `${PG_RUNTIME_BASE}/${name}`,
    ownerUrl: `${PG_OWNER_BASE}/${name}`,
    name,
    drop: () => admin(async (c) => void (await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))),
  };
}

/**
 * Runs setup SQL as the database's owner: for what a test needs that the platform's runtime role may
 * not do (DDL, triggers switched off to simulate tampering). One short-lived connection per call.
 */
export async function asOwner<T>(dbName: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: `${PG_OWNER_BASE}/${dbName}` });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}
