import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/client.js';
import { MIGRATIONS_DIR, runMigrations } from '../../src/db/migrate.js';
import { createOwnedDatabase, ensureRoles, OWNER_ROLE, RUNTIME_ROLE } from '../../src/db/roles.js';
import { claimKeys, type FactRow } from '../../src/modules/disbursement/bank-facts.sql.js';
import { maintainPartitions, PARTITIONED_TABLES } from '../../src/modules/partitions/partitions.service.js';
import { PG_BASE, PG_OWNER_BASE, PG_RUNTIME_BASE } from '../helpers/db.js';

// bank_records becomes month-partitioned in place (migration 0090): a database migrated up to just before it,
// holding records across month boundaries, keeps every row, each in the partition of the China-time month it
// was received; the dedupe moves to bank_record_keys and still recognises facts stored before the conversion.
const name = `wg_t_${Date.now().toString(36)}_brpart`;
const url = `${PG_OWNER_BASE}/${name}`;
const runtimeUrl = `${PG_RUNTIME_BASE}/${name}`;
let tmp: string;
let c: pg.Client;
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'wg-mig-'));
  cpSync(MIGRATIONS_DIR, tmp, { recursive: true });
  const journal = JSON.parse(readFileSync(join(tmp, 'meta', '_journal.json'), 'utf8')) as { entries: { idx: number }[] };
  journal.entries = journal.entries.filter((e) => e.idx < 90);
  writeFileSync(join(tmp, 'meta', '_journal.json'), JSON.stringify(journal));
  await ensureRoles(`${PG_BASE}/postgres`, [{ name: OWNER_ROLE }, { name: RUNTIME_ROLE }]);
  await createOwnedDatabase(`${PG_BASE}/postgres`, name, OWNER_ROLE);
  await runMigrations(url, RUNTIME_ROLE, tmp);
  c = new pg.Client({ connectionString: url });
  await c.connect();
}, 180_000);
afterAll(async () => {
  await c?.end();
  rmSync(tmp, { recursive: true, force: true });
  const a = new pg.Client({ connectionString: `${PG_BASE}/postgres` });
  await a.connect();
  await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await a.end();
});

const BANK = '01900000-0000-7000-8000-0000000000b1';
const OTHER_BANK = '01900000-0000-7000-8000-0000000000b2';
// 23:30 China time on 31 August is August, 00:10 on 1 September is September (both are 31 August in UTC).
const AT = ['2026-08-31 23:30+08', '2026-09-01 00:10+08', '2026-10-15 12:00+08', '2026-11-20 09:00+08'];
const rec = (k: number) => [`01900000-0000-7000-8000-00000000000${k}`, k % 2 ? BANK : OTHER_BANK, `settled:e2e${k}:100`, AT[k]!];
const parts = async () => (await c.query(`SELECT c.relname, (SELECT count(*)::int FROM bank_records d WHERE d.tableoid = c.oid) AS n
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'bank_records'::regclass ORDER BY 1`)).rows as { relname: string; n: number }[];
let n = 0;
const fact = (bankKey: string): FactRow => ({ id: `01900000-0000-7000-8000-0000000001${String(++n).padStart(2, '0')}`, kind: 'result', e2e: null, status: 'ACSC', reason: null,
  amount: 100, vd: '2026-11-10', bidx: null, masked: null, acct: null, ref: null, payer: null, key: bankKey, sref: 'msg', fast: false });
const claim = async (db: Parameters<typeof claimKeys>[0], bank: string, key: string) => (await claimKeys(db, bank, [fact(key)])).size;

describe('bank_records partitioned by month (0090)', () => {
  it('converts in place: rows, months, keys and dedupe kept; the job keeps months ahead and never retires wage data', async () => {
    for (let k = 0; k < AT.length; k++) {
      const [id, bank, key, at] = rec(k);
      await c.query(`INSERT INTO bank_records (id, bank_id, kind, end_to_end_id, status, amount_fen, value_date, card_masked, source, source_ref, dedupe_key, received_at, flags)
        VALUES ($1, $2, 'result', $3, 'ACSC', 100, '2026-08-31', '6222 **** **** 0001', 'webhook', 'msg_old', $4, $5, '["out_of_order"]')`, [id, bank, `e2e${k}`, key, at]);
    }
    const cols = 'id, bank_id, kind, end_to_end_id, status, amount_fen, value_date::text, card_masked, source, source_ref, dedupe_key, received_at, flags';
    const before = (await c.query(`SELECT ${cols} FROM bank_records ORDER BY id`)).rows;
    expect((await c.query(`SELECT relkind FROM pg_class WHERE relname = 'bank_records'`)).rows[0].relkind).toBe('r');

    await runMigrations(url, RUNTIME_ROLE); // 0090 and later
    expect((await c.query(`SELECT relkind FROM pg_class WHERE relname = 'bank_records'`)).rows[0].relkind).toBe('p');
    expect((await c.query(`SELECT ${cols} FROM bank_records ORDER BY id`)).rows).toEqual(before);
    const p = await parts();
    expect(p.filter((x) => x.n > 0).map((x) => [x.relname, x.n])).toEqual([
      ['bank_records_p202608', 1], ['bank_records_p202609', 1], ['bank_records_p202610', 1], ['bank_records_p202611', 1],
    ]);
    const ahead = (await c.query(`SELECT to_char((now() AT TIME ZONE 'Asia/Shanghai') + interval '3 months', 'YYYYMM') AS m`)).rows[0].m as string;
    expect(p.map((x) => x.relname)).toContain(`bank_records_p${ahead}`);
    expect((await c.query(`SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conname = 'bank_records_pkey'`)).rows[0].d).toBe('PRIMARY KEY (id, received_at)');
    expect((await c.query(`SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'bank_records' AND indexname IN
      ('bank_records_e2e_idx', 'bank_records_project_idx', 'bank_records_received_idx', 'bank_records_stmt_card_idx')`)).rows[0].n).toBe(4);
    // The whitelist was extended, not restated.
    expect((await c.query(`SELECT wg_partitioned_tables() AS t`)).rows[0].t).toEqual(expect.arrayContaining(['alert_deliveries', 'webhook_inbox', 'bank_records']));

    const database = createDatabase(runtimeUrl, { max: 2 });
    try {
      // The product's dedupe statement, as the runtime role: a fact stored before the conversion is a duplicate
      // for its own bank only; a new fact is fresh once.
      expect(await claim(database.db, BANK, 'settled:e2e1:100')).toBe(0);
      expect(await claim(database.db, BANK, 'settled:e2e0:100')).toBe(1); // e2e0 was OTHER_BANK's
      expect(await claim(database.db, OTHER_BANK, 'settled:e2e0:100')).toBe(0);
      expect(await claim(database.db, BANK, 'settled:new:100')).toBe(1);
      expect(await claim(database.db, BANK, 'settled:new:100')).toBe(0);
      // The runtime role writes records into the current month's partition.
      await database.pool.query(`INSERT INTO bank_records (id, bank_id, kind, amount_fen, value_date, source, source_ref, dedupe_key)
        VALUES ('01900000-0000-7000-8000-0000000000ff', $1, 'credit', 1, '2026-11-10', 'webhook', 'msg', 'settled:new:100')`, [BANK]);
      const now = (await c.query(`SELECT to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMM') AS m`)).rows[0].m as string;
      expect((await c.query(`SELECT tableoid::regclass::text AS t FROM bank_records WHERE id = '01900000-0000-7000-8000-0000000000ff'`)).rows[0].t).toBe(`bank_records_p${now}`);

      // Wage data: the job creates months ahead and retires none, whatever the date.
      expect(PARTITIONED_TABLES.find((t) => t.table === 'bank_records')?.retainMonths).toBeNull();
      const rep = await maintainPartitions({ db: database.db }, { asOf: '2031-05-10' });
      expect(rep.created.bank_records).toBeGreaterThan(0);
      expect(rep.detached.bank_records).toBeUndefined();
      expect((await parts()).filter((x) => x.n > 0).length).toBe(5);
      expect((await parts()).map((x) => x.relname)).toContain('bank_records_p203108');
    } finally {
      await database.close();
    }
  }, 180_000);
});
