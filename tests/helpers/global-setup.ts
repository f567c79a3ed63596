import pg from 'pg';
import { PG_BASE, ensureTemplate } from './db.js';

/** Runs once per vitest run: migrate the template and sweep databases left by killed runs. */
export default async function setup(project: { provide(key: string, value: unknown): void }) {
  // Computed once per run and handed to every file, so a migration added mid-run cannot split files
  // between two templates.
  project.provide('wgTemplate', await ensureTemplate());
  const c = new pg.Client({ connectionString: `${PG_BASE}/postgres` });
  await c.connect();
  const old = await c.query(
    `SELECT datname FROM pg_database WHERE datname LIKE 'wg\\_t\\_%' AND NOT datistemplate`,
  );
  for (const r of old.rows as { datname: string }[]) {
    // Names embed their creation time (base36 ms); only drop those older than an hour.
    const ts = parseInt(r.datname.split('_')[2] ?? '0', 36);
    if (Date.now() - ts > 3600_000) await c.query(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`).catch(() => {});
  }
  await c.end();
}
