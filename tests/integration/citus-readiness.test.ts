import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.js';
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import * as schema from '../../src/db/schema/index.js';
import { FK_EXCEPTIONS, KEY_EXCEPTIONS, KEYS_OWNED_ELSEWHERE, LOCAL_TABLES, NULLABLE_PROJECT, REFERENCE_TABLES } from './citus-plan.js';

// Citus is not installed here, so the precondition of distributing by project_id is proven statically from
// the migrated catalog: every table is classified, every key of a project-owned table includes project_id
// or is a reviewed exception (its premise holds and its reason is a nullable project or a key another change
// owns), every foreign key between project-owned tables joins child.project_id to parent.project_id or is
// reviewed, and the drizzle schema declares the same keys. A stale exception (the key changed) fails too.
// The query side (joins of the hot paths) is citus-joins.test.ts.
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let c: pg.Client;
beforeAll(async () => {
  db = await createTestDatabase();
  c = new pg.Client({ connectionString: db.url });
  await c.connect();
});
afterAll(async () => {
  await c?.end();
  await db?.drop();
});

const q = async <T>(text: string): Promise<T[]> => (await c.query(text)).rows as T[];
// Parent tables only: partitions inherit their parent's classification.
const TABLES = `SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname NOT LIKE '\\_\\_%'`;
const PROJECT_OWNED = `SELECT t.oid, t.relname, a.attnotnull FROM (${TABLES}) t
  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attname = 'project_id' AND NOT a.attisdropped`;
const HAS_PROJECT = (rel: string, keys: string) => `EXISTS (SELECT 1 FROM unnest(${keys}) k JOIN pg_attribute a ON a.attrelid = ${rel} AND a.attnum = k WHERE a.attname = 'project_id')`;

describe('Citus readiness (catalog)', () => {
  it('every table is project-owned, a reference table or a local table, exactly once', async () => {
    const all = (await q<{ relname: string }>(TABLES)).map((r) => r.relname).filter((n) => n !== 'drizzle_migrations');
    const owned = new Set((await q<{ relname: string }>(PROJECT_OWNED)).map((r) => r.relname));
    const unclassified = all.filter((t) => !owned.has(t) && !REFERENCE_TABLES.includes(t) && !LOCAL_TABLES.includes(t));
    expect(unclassified, 'new tables: add them to tests/integration/citus-plan.ts').toEqual([]);
    const both = [...REFERENCE_TABLES, ...LOCAL_TABLES].filter((t) => owned.has(t));
    expect(both, 'a table with project_id classified as reference/local').toEqual([]);
    const gone = [...REFERENCE_TABLES, ...LOCAL_TABLES].filter((t) => !all.includes(t));
    expect(gone, 'classified tables that no longer exist').toEqual([]);
  });

  it('project_id is NOT NULL on project-owned tables, except the reviewed ones', async () => {
    const nullable = (await q<{ relname: string; attnotnull: boolean }>(PROJECT_OWNED)).filter((r) => !r.attnotnull).map((r) => r.relname).sort();
    expect(nullable).toEqual(Object.keys(NULLABLE_PROJECT).sort());
  });

  it('every primary key and unique constraint of a project-owned table includes project_id, or is a reviewed exception whose premise holds', async () => {
    const keys = await q<{ conname: string; relname: string; cols: string[]; types: string[]; defaults: (string | null)[] }>(`
      SELECT con.conname, t.relname,
        array_agg(a.attname::text ORDER BY k.ord) AS cols, array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY k.ord) AS types,
        array_agg(pg_get_expr(d.adbin, d.adrelid) ORDER BY k.ord) AS defaults
      FROM (${PROJECT_OWNED}) t JOIN pg_constraint con ON con.conrelid = t.oid AND con.contype IN ('p', 'u')
      CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
      LEFT JOIN pg_attrdef d ON d.adrelid = t.oid AND d.adnum = a.attnum
      WHERE NOT ${HAS_PROJECT('t.oid', 'con.conkey')}
      GROUP BY con.conname, t.relname`);
    // Unique indexes that are not constraints count too (Citus needs the key in them as well).
    const idx = await q<{ relname: string; indexname: string }>(`
      SELECT t.relname, i.relname AS indexname FROM (${PROJECT_OWNED}) t JOIN pg_index x ON x.indrelid = t.oid AND x.indisunique
      JOIN pg_class i ON i.oid = x.indexrelid
      WHERE NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid)
        AND NOT ${HAS_PROJECT('t.oid', 'x.indkey::int2[]')}`);
    const found = [...keys.map((k) => k.conname), ...idx.map((i) => i.indexname)].sort();
    expect(found, 'keys without project_id: include it, or review them in citus-plan.ts').toEqual(Object.keys(KEY_EXCEPTIONS).sort());
    for (const [name, e] of Object.entries(KEY_EXCEPTIONS)) {
      const table = keys.find((k) => k.conname === name)?.relname ?? idx.find((i) => i.indexname === name)?.relname;
      expect(e.blockedBy in NULLABLE_PROJECT || e.blockedBy in KEYS_OWNED_ELSEWHERE, `${name}: blocked by a nullable project or a key owned elsewhere`).toBe(true);
      // a nullable project blocks only its own table's keys (another table could carry the column NOT NULL)
      if (e.blockedBy in NULLABLE_PROJECT) expect(table, name).toBe(e.blockedBy);
      if (e.premise === 'key') expect(e.note, `${name}: a 'key' exception says why`).toBeTruthy();
    }
    for (const k of keys) {
      const kind = KEY_EXCEPTIONS[k.conname]!.premise;
      if (kind === 'uuid-id') {
        expect([k.relname, k.cols.length, k.types[0]], k.conname).toEqual([k.relname, 1, 'uuid']);
        expect(k.defaults[0] ?? '', `${k.conname}: ids come from the application (UUIDv7)`).not.toMatch(/nextval/);
      }
      if (kind === 'seq') expect(k.defaults[0] ?? '', k.conname).toMatch(/nextval/);
    }
  });

  it('every foreign key between project-owned tables joins child.project_id to parent.project_id, or is reviewed', async () => {
    const fks = await q<{ conname: string; child: string }>(`
      SELECT con.conname, t.relname AS child FROM (${PROJECT_OWNED}) t JOIN pg_constraint con ON con.conrelid = t.oid AND con.contype = 'f'
      JOIN (${PROJECT_OWNED}) r ON r.oid = con.confrelid
      WHERE NOT EXISTS (SELECT 1 FROM unnest(con.conkey, con.confkey) AS k(c, p)
        JOIN pg_attribute ca ON ca.attrelid = con.conrelid AND ca.attnum = k.c
        JOIN pg_attribute pa ON pa.attrelid = con.confrelid AND pa.attnum = k.p
        WHERE ca.attname = 'project_id' AND pa.attname = 'project_id')`);
    expect(fks.map((f) => f.conname).sort(), 'foreign keys without project_id: add it, or review them in citus-plan.ts').toEqual(Object.keys(FK_EXCEPTIONS).sort());
    for (const f of fks) {
      const e = FK_EXCEPTIONS[f.conname]!;
      expect(e.blockedBy in NULLABLE_PROJECT || e.blockedBy in KEYS_OWNED_ELSEWHERE, f.conname).toBe(true);
      expect(f.child, f.conname).toBe(e.blockedBy);
    }
    // the widened keys are really there: a composite foreign key found its unique key
    const composite = await q<{ conname: string }>(`SELECT conname FROM pg_constraint WHERE contype = 'f' AND cardinality(conkey) = 2
      AND conname IN ('instructions_batch_id_batches_id_fk', 'payroll_findings_payroll_id_payrolls_id_fk', 'worker_cards_engagement_id_fkey', 'card_fixes_engagement_id_fkey', 'card_fixes_card_id_fkey')`);
    expect(composite).toHaveLength(5);
  });

  it('the drizzle schema declares the same primary keys and foreign keys as the migrations', async () => {
    const cols = (c: { name: string }[]) => c.map((x) => x.name).sort().join(',');
    const declared = new Map<string, { pk: string; fks: string[] }>();
    for (const t of Object.values(schema)) {
      if (typeof t !== 'object' || t === null || !(Symbol.for('drizzle:IsDrizzleTable') in t)) continue;
      const c = getTableConfig(t as PgTable);
      const pk = c.primaryKeys[0]?.columns ?? c.columns.filter((x) => x.primary);
      declared.set(c.name, { pk: cols(pk), fks: c.foreignKeys.map((f) => cols(f.reference().columns)).sort() });
    }
    const owned = await q<{ relname: string; pk: string | null; fks: string[] }>(`
      SELECT t.relname,
        (SELECT string_agg(a.attname, ',' ORDER BY a.attname) FROM pg_constraint con CROSS JOIN unnest(con.conkey) k
          JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k WHERE con.conrelid = t.oid AND con.contype = 'p') AS pk,
        ARRAY(SELECT (SELECT string_agg(a.attname, ',' ORDER BY a.attname) FROM unnest(con.conkey) k JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k)
          FROM pg_constraint con WHERE con.conrelid = t.oid AND con.contype = 'f' ORDER BY 1) AS fks
      FROM (${PROJECT_OWNED}) t`);
    const diff = owned.filter((o) => declared.has(o.relname)).map((o) => ({ table: o.relname, pk: o.pk ?? '', fks: [...o.fks].sort() }))
      .filter((o) => JSON.stringify({ pk: o.pk, fks: o.fks }) !== JSON.stringify(declared.get(o.table)));
    expect(diff.map((d) => ({ ...d, drizzle: declared.get(d.table) })), 'src/db/schema differs from the migrated catalog').toEqual([]);
    expect(owned.filter((o) => !declared.has(o.relname)).map((o) => o.relname), 'project-owned tables missing from src/db/schema').toEqual([]);
  });
});
