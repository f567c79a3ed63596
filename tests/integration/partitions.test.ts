import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/client.js';
import { MIGRATIONS_DIR, runMigrations } from '../../src/db/migrate.js';
import { createOwnedDatabase, ensureRoles, OWNER_ROLE, RUNTIME_ROLE } from '../../src/db/roles.js';
import { insertInboxRows } from '../../src/modules/disbursement/inbox-writer.js';
import { maintainPartitions } from '../../src/modules/partitions/partitions.service.js';
import { PG_BASE, PG_OWNER_BASE, PG_RUNTIME_BASE } from '../helpers/db.js';

// alert_deliveries becomes month-partitioned in place (migration 0067): a database migrated up to 0066 with
// delivery rows keeps every row, each in its month's partition; the sequence continues; the maintenance job
// creates months ahead and retires old ones by detaching them.
const name = `wg_t_${Date.now().toString(36)}_part`;
// Migrated by the owner role (with the runtime grants), the partition job run as the runtime role: as in production.
const url = `${PG_OWNER_BASE}/${name}`;
const runtimeUrl = `${PG_RUNTIME_BASE}/${name}`;
let tmp: string;
let c: pg.Client;
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'wg-mig-'));
  cpSync(MIGRATIONS_DIR, tmp, { recursive: true });
  const journal = JSON.parse(readFileSync(join(tmp, 'meta', '_journal.json'), 'utf8')) as { entries: { idx: number }[] };
  journal.entries = journal.entries.filter((e) => e.idx < 67);
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

const SUB = '01900000-0000-7000-8000-000000000001';
const ALERT = '01900000-0000-7000-8000-000000000002';
const BANK = '01900000-0000-7000-8000-0000000000b1';
const parts = async (t = 'alert_deliveries') => (await c.query(`SELECT c.relname, (SELECT count(*)::int FROM ${t} d WHERE d.tableoid = c.oid) AS n
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = '${t}'::regclass ORDER BY 1`)).rows as { relname: string; n: number }[];

describe('month partitions', () => {
  it('converts alert_deliveries in place, keeps rows and sequence, and the job creates ahead and detaches by retention', async () => {
    // Before 0067: a plain table with history (one row is 2026-08-31 23:30 China time = August, not September).
    for (const at of ['2026-08-31 23:30+08', '2026-09-01 00:10+08', '2026-10-15 12:00+08', '2026-11-20 09:00+08']) {
      await c.query(`INSERT INTO alert_deliveries (subscription_id, alert_id, job_id, attempt, status, attempted_at) VALUES ($1, $2, 'j', 1, 'delivered', $3)`, [SUB, ALERT, at]);
    }
    const before = (await c.query(`SELECT seq::int, attempted_at FROM alert_deliveries ORDER BY seq`)).rows as { seq: number }[];
    // … and the bank inbox: an applied webhook of August, one of September still to apply, one of November.
    for (const [id, at, done] of [['msg_aug', '2026-08-10 10:00+08', true], ['msg_sep', '2026-09-10 10:00+08', false], ['msg_nov', '2026-11-10 10:00+08', true]] as const) {
      await c.query(`INSERT INTO webhook_inbox (bank_id, webhook_id, type, body_hash, body, received_at, processed_at) VALUES ($1, $2, 't', 'h', '{}', $3, $4)`, [BANK, id, at, done ? at : null]);
    }
    expect((await c.query(`SELECT relkind FROM pg_class WHERE relname = 'alert_deliveries'`)).rows[0].relkind).toBe('r');

    await runMigrations(url, RUNTIME_ROLE); // 0067 and later
    expect((await c.query(`SELECT relkind FROM pg_class WHERE relname = 'alert_deliveries'`)).rows[0].relkind).toBe('p');
    expect((await c.query(`SELECT seq::int, attempted_at FROM alert_deliveries ORDER BY seq`)).rows).toEqual(before);
    const p1 = await parts();
    expect(p1.filter((p) => p.n > 0).map((p) => [p.relname, p.n])).toEqual([
      ['alert_deliveries_p202608', 1], ['alert_deliveries_p202609', 1], ['alert_deliveries_p202610', 1], ['alert_deliveries_p202611', 1],
    ]);
    // Three months ahead of today exist already.
    const now = (await c.query(`SELECT to_char((now() AT TIME ZONE 'Asia/Shanghai') + interval '3 months', 'YYYYMM') AS m`)).rows[0].m as string;
    expect(p1.map((p) => p.relname)).toContain(`alert_deliveries_p${now}`);
    // The sequence continues; the primary key is (seq, attempted_at).
    const next = (await c.query(`INSERT INTO alert_deliveries (subscription_id, alert_id, job_id, attempt, status) VALUES ($1, $2, 'j2', 1, 'failed') RETURNING seq::int`, [SUB, ALERT])).rows[0].seq as number;
    expect(next).toBeGreaterThan(before[before.length - 1]!.seq);
    expect((await c.query(`SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conname = 'alert_deliveries_pkey'`)).rows[0].d).toBe('PRIMARY KEY (seq, attempted_at)');

    // The maintenance job, as of 2027-05-10 with 6 months' retention: months up to 2027-08 exist, months
    // ending on or before 2026-11-01 are detached and dropped (August–October 2026), November is kept.
    // The inbox: rows kept in their months, keys copied; the writer dedupes replays through the key table,
    // including webhooks stored before the conversion.
    expect((await parts('webhook_inbox')).filter((p) => p.n > 0).map((p) => p.relname)).toEqual(['webhook_inbox_p202608', 'webhook_inbox_p202609', 'webhook_inbox_p202611']);
    const row = (w: string) => ({ bankId: BANK, webhookId: w, type: 't', bodyHash: 'h', body: '{}' });
    expect([...(await insertInboxRows(c, [row('msg_new'), row('msg_aug')]))]).toEqual([`${BANK}\nmsg_new`]);
    expect((await insertInboxRows(c, [row('msg_new')])).size).toBe(0);
    expect((await c.query(`SELECT count(*)::int AS n FROM webhook_inbox WHERE webhook_id IN ('msg_new', 'msg_aug')`)).rows[0].n).toBe(2);

    const database = createDatabase(runtimeUrl, { max: 2 });
    try {
      const rep = await maintainPartitions({ db: database.db }, { asOf: '2027-05-10' });
      expect(rep.detached.alert_deliveries).toEqual(['alert_deliveries_p202608', 'alert_deliveries_p202609', 'alert_deliveries_p202610']);
      expect(rep.created.alert_deliveries).toBeGreaterThan(0);
      // The inbox's September still holds a webhook to apply: kept until it is applied.
      expect(rep.detached.webhook_inbox).toEqual(['webhook_inbox_p202608', 'webhook_inbox_p202610']);
      const again = await maintainPartitions({ db: database.db }, { asOf: '2027-05-10' });
      expect(again).toMatchObject({ created: { alert_deliveries: 0, webhook_inbox: 0 }, detached: { alert_deliveries: [], webhook_inbox: [] } }); // idempotent
      // Keys outlive bodies: the August replay is still recognised after its body month is gone.
      expect((await insertInboxRows(c, [row('msg_aug')])).size).toBe(0);
      await c.query(`UPDATE webhook_inbox SET processed_at = now() WHERE webhook_id = 'msg_sep'`);
      expect((await maintainPartitions({ db: database.db }, { asOf: '2027-05-10' })).detached.webhook_inbox).toEqual(['webhook_inbox_p202609']);
      const left = await parts();
      expect(left[0]!.relname).toBe('alert_deliveries_p202611');
      expect(left[left.length - 1]!.relname).toBe('alert_deliveries_p202708');
      expect(left.reduce((s, p) => s + p.n, 0)).toBe(2);
      expect((await database.db.execute(sql`SELECT to_regclass('alert_deliveries_p202608') AS r`)) as unknown as { rows: { r: null }[] }).toMatchObject({ rows: [{ r: null }] });
      await expect(database.db.execute(sql`SELECT wg_ensure_month_partitions('payroll_lines', current_date, current_date)`)).rejects.toThrow();
      // Thirteen months on, August's key is trimmed.
      expect((await maintainPartitions({ db: database.db }, { asOf: '2027-10-02' })).keysTrimmed).toBe(1);
    } finally {
      await database.close();
    }
  }, 180_000);
});
