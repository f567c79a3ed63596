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
import { idFromKey, newId } from '../../src/lib/ids.js';
import { emit } from '../../src/modules/alerts/outbox.service.js';
import { configureAuditKeys, signCheckpoint } from '../../src/modules/audit/audit-keys.js';
import { appendAudit, rowHash, verifyAudit, writeCheckpoint } from '../../src/modules/audit/audit.service.js';
import { PG_BASE, PG_OWNER_BASE, PG_RUNTIME_BASE } from '../helpers/db.js';

// alert_deliveries becomes month-partitioned in place (migration 0067): a database migrated up to 0066 with
// delivery rows keeps every row, each in its month's partition; the sequence continues; the maintenance job
// creates months ahead and retires old ones by detaching them.
const name = `wg_t_${Date.now().toString(36)}_part`;
// Migrated by the owner role (with the runtime grants), the partition job run as the runtime role: as in production.
const url = `${PG_OWNER_BASE}/${name}`;
const runtimeUrl = `${PG_RUNTIME_BASE}/${name}`;
let c: pg.Client;

/** A fresh database owned by the owner role, migrated only up to (not including) migration `before`. */
async function migratedBefore(dbName: string, before: number): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'wg-mig-'));
  try {
    cpSync(MIGRATIONS_DIR, tmp, { recursive: true });
    const journal = JSON.parse(readFileSync(join(tmp, 'meta', '_journal.json'), 'utf8')) as { entries: { idx: number }[] };
    journal.entries = journal.entries.filter((e) => e.idx < before);
    writeFileSync(join(tmp, 'meta', '_journal.json'), JSON.stringify(journal));
    await ensureRoles(`${PG_BASE}/postgres`, [{ name: OWNER_ROLE }, { name: RUNTIME_ROLE }]);
    await createOwnedDatabase(`${PG_BASE}/postgres`, dbName, OWNER_ROLE);
    await runMigrations(`${PG_OWNER_BASE}/${dbName}`, RUNTIME_ROLE, tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
async function dropDatabase(dbName: string): Promise<void> {
  const a = new pg.Client({ connectionString: `${PG_BASE}/postgres` });
  await a.connect();
  await a.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await a.end();
}

beforeAll(async () => {
  await migratedBefore(name, 67);
  c = new pg.Client({ connectionString: url });
  await c.connect();
}, 180_000);
afterAll(async () => {
  await c?.end();
  await dropDatabase(name);
});

const SUB = '01900000-0000-7000-8000-000000000001';
const ALERT = '01900000-0000-7000-8000-000000000002';
const BANK = '01900000-0000-7000-8000-0000000000b1';
const parts = async (t = 'alert_deliveries', client = c) => (await client.query(`SELECT c.relname, (SELECT count(*)::int FROM ${t} d WHERE d.tableoid = c.oid) AS n
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

// outbox, alerts and audit_log become month-partitioned in place (0080–0083). A database migrated up to 0079
// holds history across month boundaries (23:30 China time on the 31st belongs to that month); after the
// migrations every row sits in its month, sequences continue, ids stay unique for ever through the key
// tables (also between two concurrent writers), the audit chain and its checkpoint still verify, and the
// job retires a month only once it is fully processed — never a month of the audit log.
describe('month partitions: outbox, alerts, audit_log', () => {
  const db2 = `wg_t_${Date.now().toString(36)}_part2`;
  let o: pg.Client;
  const T = { aug: '2026-08-31 23:30+08', sep: '2026-09-01 00:10+08', oct: '2026-10-31 23:30+08', nov: '2026-11-15 09:00+08' } as const;
  const E = { aug: idFromKey('evt:partitions:aug'), sep: newId(), oct: newId(), nov: newId() };
  const A = { aug: E.aug, sep: idFromKey('alert:partitions:sep'), oct: idFromKey('alert:partitions:oct') };
  const DATA_MONTHS = ['202608', '202609', '202610', '202611'];
  const withData = (names: string[] | undefined) => (names ?? []).filter((n) => DATA_MONTHS.some((m) => n.endsWith(m)));
  beforeAll(async () => {
    configureAuditKeys(Buffer.alloc(32, 5));
    await migratedBefore(db2, 80);
    o = new pg.Client({ connectionString: `${PG_OWNER_BASE}/${db2}` });
    await o.connect();
  }, 180_000);
  afterAll(async () => {
    await o?.end();
    await dropDatabase(db2);
  });

  it('converts in place, keeps rows, sequences, exactly-once and the audit chain, and retires only processed months', async () => {
    // History before 0080: the September event is not relayed yet; its alert began a state still open.
    for (const [m, at] of Object.entries(T)) {
      const relayed = m === 'sep' ? null : at;
      await o.query(`INSERT INTO outbox (id, type, payload, created_at, hooked_at, relayed_at) VALUES ($1, 'partitions.test', '{}', $2, $3, $3)`, [E[m as keyof typeof E], at, relayed]);
    }
    for (const m of ['aug', 'sep', 'oct'] as const) {
      await o.query(`INSERT INTO alerts (id, event_id, type, severity, event_type, message_zh, message_en, created_at) VALUES ($1, $2, 't', 'red', 'partitions.test', '中', 'en', $3)`, [A[m], E[m], T[m]]);
    }
    await o.query(`INSERT INTO alert_states (state_key, type, severity, opened_on, last_seen_on, begin_alert_id) VALUES ('partitions:sep', 't', 'red', '2026-09-01', '2026-09-01', $1)`, [A.sep]);
    // The audit chain as the code before 0083 wrote it; the last row's `at` is behind its predecessor's (a
    // caller's clock), so its logged_at becomes the running maximum: November, not October.
    let prev = '0'.repeat(64);
    for (const [m, at] of [...Object.entries(T), ['late', '2026-10-20 10:00+08']]) {
      const row = { at: new Date(at.replace(' ', 'T').replace('+08', '+08:00')).toISOString(), actor: 'test', action: 'partitions.fill', entityType: 'demo', entityId: m, projectId: null, data: { m } };
      const hash = rowHash(prev, row);
      await o.query(`INSERT INTO audit_log (at, actor, action, entity_type, entity_id, data, prev_hash, hash) VALUES ($1, 'test', 'partitions.fill', 'demo', $2, $3, $4, $5)`, [row.at, m, row.data, prev, hash]);
      prev = hash;
    }
    const head = (await o.query(`SELECT max(seq)::int AS s FROM audit_log`)).rows[0].s as number;
    const checkpoint = { day: '2026-11-30', lastSeq: head, headHash: prev, ...signCheckpoint({ day: '2026-11-30', lastSeq: head, headHash: prev }) };
    await o.query(`INSERT INTO audit_checkpoints (day, last_seq, head_hash, key_id, signature) VALUES ($1, $2, $3, $4, $5)`, [checkpoint.day, head, prev, checkpoint.keyId, checkpoint.signature]);
    const snapshot = async () => ({
      outbox: (await o.query(`SELECT seq::int, id, created_at, relayed_at FROM outbox ORDER BY seq`)).rows,
      alerts: (await o.query(`SELECT seq::int, id, event_id, created_at FROM alerts ORDER BY seq`)).rows,
      audit: (await o.query(`SELECT seq::int, at, hash FROM audit_log ORDER BY seq`)).rows,
    });
    const before = await snapshot();

    await runMigrations(`${PG_OWNER_BASE}/${db2}`, RUNTIME_ROLE); // 0080 and later
    for (const t of ['outbox', 'alerts', 'audit_log']) expect((await o.query(`SELECT relkind FROM pg_class WHERE relname = $1`, [t])).rows[0].relkind, t).toBe('p');
    expect(await snapshot()).toEqual(before);
    const placed = async (t: string) => (await parts(t, o)).filter((p) => p.n > 0).map((p) => [p.relname, p.n]);
    expect(await placed('outbox')).toEqual(DATA_MONTHS.map((m) => [`outbox_p${m}`, 1]));
    expect(await placed('alerts')).toEqual(DATA_MONTHS.slice(0, 3).map((m) => [`alerts_p${m}`, 1]));
    expect(await placed('audit_log')).toEqual(DATA_MONTHS.map((m) => [`audit_log_p${m}`, m === '202611' ? 2 : 1]));
    const pk = async (n: string) => (await o.query(`SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conname = $1`, [n])).rows[0].d as string;
    expect([await pk('outbox_pkey'), await pk('alerts_pkey'), await pk('audit_log_pkey')]).toEqual(['PRIMARY KEY (seq, created_at)', 'PRIMARY KEY (seq, created_at)', 'PRIMARY KEY (seq, logged_at)']);

    const rt = createDatabase(`${PG_RUNTIME_BASE}/${db2}`, { max: 3 });
    const q = async <R>(text: string, params: unknown[] = []) => (await rt.pool.query(text, params)).rows as R[];
    const nowMonth = (await q<{ m: string }>(`SELECT to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMM') AS m`))[0]!.m;
    try {
      // Sequences continue, new rows land in this month; an id emitted in August is still known.
      await emit(rt.db, { id: E.aug, type: 'partitions.again' }, { type: 'partitions.new' });
      const fresh = await q<{ seq: number; id: string; part: string }>(`SELECT seq::int, id, tableoid::regclass::text AS part FROM outbox WHERE type LIKE 'partitions.%' AND seq > $1`, [before.outbox.at(-1)!.seq]);
      expect(fresh.map((r) => [r.part, r.id === E.aug])).toEqual([[`outbox_p${nowMonth}`, false]]);
      const twice = newId();
      await emit(rt.db, { id: twice, type: 'partitions.twice' }, { id: twice, type: 'partitions.twice' });
      // Two writers of one new id at once: the second waits for the first, then skips (commit) or writes (rollback).
      const a = new pg.Client({ connectionString: `${PG_RUNTIME_BASE}/${db2}` });
      const b = new pg.Client({ connectionString: `${PG_RUNTIME_BASE}/${db2}` });
      await a.connect();
      await b.connect();
      try {
        for (const end of ['COMMIT', 'ROLLBACK']) {
          const id = newId();
          const ins = (cl: pg.Client) => cl.query(`INSERT INTO outbox (id, type) VALUES ($1, 'partitions.race') RETURNING seq`, [id]);
          await a.query('BEGIN');
          expect((await ins(a)).rowCount).toBe(1);
          let settled = false;
          const second = ins(b).finally(() => (settled = true));
          await new Promise((r) => setTimeout(r, 300));
          expect(settled, 'the second writer waits on the first one\'s key').toBe(false);
          await a.query(end);
          expect((await second).rowCount).toBe(end === 'COMMIT' ? 0 : 1);
          expect((await q<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE id = $1`, [id]))[0]!.n).toBe(1);
        }
      } finally {
        await a.end();
        await b.end();
      }
      expect((await q<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE id = ANY($1::uuid[])`, [[E.aug, twice]]))[0]!.n).toBe(2);
      // Alerts: an id made before the conversion is skipped (nothing returned); the sequence continues.
      const alertIns = (id: string) => q<{ seq: string }>(`INSERT INTO alerts (id, type, severity, event_type, message_zh, message_en) VALUES ($1, 't', 'red', 'e', '中', 'en') RETURNING seq`, [id]);
      expect(await alertIns(A.aug)).toEqual([]);
      expect(Number((await alertIns(newId()))[0]!.seq)).toBeGreaterThan(before.alerts.at(-1)!.seq);

      // The audit chain runs on across months and still reaches the checkpoint signed before the conversion.
      await rt.db.transaction((tx) => appendAudit(tx, { actor: 'test', action: 'partitions.after', entityType: 'demo' }));
      expect(await verifyAudit(rt.db)).toMatchObject({ ok: true, rows: 6, checkpoint: { lastSeq: checkpoint.lastSeq, headHash: checkpoint.headHash } });
      expect((await q<{ part: string }>(`SELECT tableoid::regclass::text AS part FROM audit_log WHERE action = 'partitions.after'`))[0]!.part).toBe(`audit_log_p${nowMonth}`);
      // logged_at never goes back in seq order (what lets the head be looked for in the newest months).
      expect(await q(`SELECT count(*)::int AS n FROM (SELECT logged_at < lag(logged_at) OVER (ORDER BY seq) AS back FROM audit_log) x WHERE back`)).toEqual([{ n: 0 }]);
      await expect(q(`UPDATE audit_log_p202608 SET actor = 'x'`)).rejects.toThrow(/permission denied/);

      // Retention as the runtime role. A dead `events` job of October and a dead delivery of October's alert.
      await q(`INSERT INTO dead_jobs (queue, job_id, name, data, reason, failed_on, retry_at) VALUES ('events', $1, 'x', '{}', 'r', '1', now()),
        ('alert-delivery', 'alert__x', 'deliver', $2, 'r', '1', now())`, [E.oct, JSON.stringify({ subscriptionId: newId(), alertId: A.oct })]);
      const run = (asOf: string) => maintainPartitions({ db: rt.db }, { asOf });
      let rep = await run('2027-05-10');
      expect(withData(rep.detached.outbox)).toEqual(['outbox_p202608', 'outbox_p202611']); // Sep: unrelayed; Oct: dead job
      expect(withData(rep.detached.alerts)).toEqual([]); // a year's retention
      expect(rep.detached.audit_log).toBeUndefined();
      await emit(rt.db, { id: E.aug, type: 'partitions.after_detach' }); // keys outlive their month
      expect((await q<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE id = $1`, [E.aug]))[0]!.n).toBe(0);

      rep = await run('2027-12-10');
      expect(withData(rep.detached.alerts)).toEqual(['alerts_p202608']); // Sep: open state, unrelayed event; Oct: dead delivery
      await q(`UPDATE alert_states SET resolved_on = '2027-01-05' WHERE state_key = 'partitions:sep'`);
      expect(withData((await run('2027-12-10')).detached.alerts)).toEqual([]); // September's event is still unrelayed
      await q(`UPDATE outbox SET hooked_at = now(), relayed_at = now() WHERE id = $1`, [E.sep]);
      await q(`UPDATE dead_jobs SET status = 'resolved', resolved_at = now()`);
      rep = await run('2027-12-10');
      // (November's alerts, none, waited for September's event as well: its deliveries might have come later.)
      expect([withData(rep.detached.outbox), withData(rep.detached.alerts)]).toEqual([['outbox_p202609', 'outbox_p202610'], ['alerts_p202609', 'alerts_p202610', 'alerts_p202611']]);
      rep = await run('2027-12-10');
      expect([withData(rep.detached.outbox), withData(rep.detached.alerts), rep.created]).toEqual([[], [], expect.objectContaining({ outbox: 0, alerts: 0, audit_log: 0 })]);

      // The audit log keeps every month; the function refuses to detach one; months made ahead are append-only too.
      expect(await placed('audit_log')).toEqual([...DATA_MONTHS.map((m) => [`audit_log_p${m}`, m === '202611' ? 2 : 1]), [`audit_log_p${nowMonth}`, 1]]);
      await expect(q(`SELECT wg_detach_month_partitions('audit_log', '2031-01-01')`)).rejects.toThrow(/never detached/);
      expect(await q(`SELECT has_table_privilege('audit_log_p202803', 'INSERT') AS ins, has_table_privilege('audit_log_p202803', 'UPDATE') AS upd,
        has_table_privilege('audit_log_p202803', 'DELETE') AS del`)).toEqual([{ ins: true, upd: false, del: false }]);
      const cp = await writeCheckpoint(rt.db, '2027-12-10'); // the head, found across months
      expect(cp.lastSeq).toBe(Number((await q<{ s: string }>(`SELECT max(seq) AS s FROM audit_log`))[0]!.s));
      expect(await verifyAudit(rt.db)).toMatchObject({ ok: true, rows: 6, checkpoint: { day: '2027-12-10', lastSeq: cp.lastSeq } });
    } finally {
      await rt.close();
    }
  }, 180_000);
});
