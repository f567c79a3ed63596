import pg from 'pg';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS_DIR, ensureDatabase, runMigrations } from '../../src/db/migrate.js';

export const PG_BASE = process.env.TEST_DATABASE_BASE ?? 'postgres://postgres@127.0.0.1:5432';

/** Template name changes whenever a migration changes, so stale templates are never reused. */
export function templateName(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(MIGRATIONS_DIR).filter((x) => x.endsWith('.sql')).sort()) h.update(f).update(readFileSync(join(MIGRATIONS_DIR, f)));
  h.update(readFileSync(join(MIGRATIONS_DIR, 'meta', '_journal.json')));
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
      await c.query(`DROP DATABASE IF EXISTS "${name}"`);
      await ensureDatabase(`${PG_BASE}/${name}`);
      await runMigrations(`${PG_BASE}/${name}`);
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

export async function createTestDatabase(prefix = 'wg_t'): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const tpl = await runTemplate();
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await admin(async (c) => {
    for (let i = 0; ; i++) {
      try {
        await c.query(`CREATE DATABASE "${name}" TEMPLATE "${tpl}"`);
        return;
      } catch (e) {
        // Another file cloning the same template at this instant: retry briefly.
        if ((e as { code?: string }).code !== '55006' || i > 50) throw e;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  });
  return {
    url: `${PG_BASE}/${name}`,
    name,
    drop: () => admin(async (c) => void (await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))),
  };
}
