import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { buildApp, REDACT_PATHS } from '../../src/app.js';
import type { TestContext } from '../helpers/context.js';
import pg from 'pg';
import { PG_BASE, asOwner } from '../helpers/db.js';
import { createDatabase } from '../../src/db/client.js';
import { makeBankCard, makeResidentId, nextSeed, seedProject, type SeededProject } from '../helpers/seed.js';
import { engagementCount, importProject, importUrlOf, person, XLSX } from './roster-import.fixtures.js';
import { projectScope } from '../../src/modules/auth/scope.js';
import type { Principal } from '../../src/modules/auth/auth.types.js';
import { importWorkers } from '../../src/modules/roster/import.service.js';
import type { RawRecord } from '../../src/modules/roster/import.parsers.js';
import { CsvSplitter, type CsvRecord } from '../../src/modules/roster/import.csv.js';

let ctx: TestContext;
let s: SeededProject;
beforeAll(async () => ({ ctx, s } = await importProject()));
afterAll(() => ctx.close());

describe('CSV import', () => {
  it('Chinese headers: per-row results with line numbers; accepted rows committed', async () => {
    const [a, b, c, d] = [person(), person(), person(), person()];
    const badId = d.id.slice(0, 17) + (d.id[17] === '1' ? '2' : '1');
    const csv = [
      '姓名,身份证号,手机号,银行卡号,工种,班组,劳动合同,劳务派遣,进场日期',
      `${a.name},${a.id},${a.phone},${a.card},钢筋工,一班,是,否,2026/4/1`,
      `${b.name},${b.id},,${b.card},木工,一班,1,0,2026-04-01`,
      `${d.name},${badId},,${d.card},木工,,是,否,2026-04-01`,
      `${c.name},${c.id},,${makeBankCard(nextSeed(), false)},瓦工,二班,否,否,2026-04-02`,
      `重复,${a.id},,${a.card},钢筋工,一班,是,否,2026-04-01`,
      `${s.workers[0]!.name},${s.workers[0]!.idNumber},,${s.workers[0]!.bankCardNumber},木工,一班,是,否,2026-04-01`,
      `无卡,${makeResidentId(nextSeed())},,123,木工,一班,是,否,2026-04-01`,
    ].join('\r\n');
    const before = await engagementCount(ctx, s);
    const r = await ctx.app.inject({ method: 'POST', url: importUrlOf(s), headers: { ...s.headers.sub, 'content-type': 'text/csv' }, payload: csv });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.accepted).toBe(3);
    expect(body.committed).toBe(true);
    expect(body.rejected.map((x: { row: number }) => x.row)).toEqual([4, 6, 7, 8]);
    expect(body.rejected[0].errors[0]).toMatchObject({ field: 'idNumber' });
    expect(body.rejected[1].errors[0].message).toContain('same person as row 2');
    expect(body.rejected[2].errors[0].message).toContain('already active');
    expect(body.rejected[3].errors[0].field).toBe('bankCardNumber');
    expect(body.warnings).toEqual([{ row: 5, warnings: [expect.objectContaining({ code: 'card_luhn' })] }]);
    expect(body.acceptedRows.map((x: { row: number }) => x.row)).toEqual([2, 3, 5]);
    expect(await engagementCount(ctx, s)).toBe(before + 3);
    for (const p of [a, b, c, d]) {
      expect(r.body).not.toContain(p.id);
      expect(r.body).not.toContain(p.card);
    }
  });

  it('English headers with an employer column, across several chunks', async () => {
    const rows = ['name,idNumber,bankCardNumber,trade,team,employerId,contractSigned,dispatched,entryDate'];
    for (let i = 0; i < 2500; i++) {
      const p = person();
      rows.push(`${p.name},${p.id},${p.card},普工,三班,${i % 2 ? s.subId : s.sub2Id},true,false,2026-05-01`);
    }
    const r = await ctx.app.inject({ method: 'POST', url: `${importUrlOf(s)}?listAccepted=false`, headers: { ...s.headers.gc, 'content-type': 'text/csv; charset=utf-8' }, payload: rows.join('\n') });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ accepted: 2500, rejected: [], warnings: [] });
    expect(r.json().acceptedRows).toBeUndefined();
  });

  it('a subcontractor cannot import another employer’s workers', async () => {
    const p = person();
    const r = await ctx.app.inject({
      method: 'POST', url: importUrlOf(s), headers: { ...s.headers.sub2!, 'content-type': 'text/csv' },
      payload: `name,idNumber,bankCardNumber,trade,employerId,contractSigned,entryDate\n${p.name},${p.id},${p.card},普工,${s.subId},true,2026-05-01\n`,
    });
    expect(r.json()).toMatchObject({ accepted: 0, rejected: [{ row: 2, errors: [{ field: 'employerId' }] }] });
  });

  it('a malformed file is a 400 and imports nothing', async () => {
    const p = person();
    const before = await engagementCount(ctx, s);
    const csv = `name,idNumber,bankCardNumber,trade,contractSigned,entryDate\n${p.name},${p.id},${p.card},普工,true,2026-05-01\n"broken,${p.id}`;
    const r = await ctx.app.inject({ method: 'POST', url: importUrlOf(s), headers: { ...s.headers.sub, 'content-type': 'text/csv' }, payload: csv });
    expect(r.statusCode).toBe(400);
    expect(r.json().detail).toContain('nothing was imported');
    expect(await engagementCount(ctx, s)).toBe(before);
  });

  it('401 without a key, 404 for another tenant, 403 for an inspector, 415 for an unknown type', async () => {
    expect((await ctx.app.inject({ method: 'POST', url: importUrlOf(s), headers: { 'content-type': 'text/csv' }, payload: 'a\n' })).statusCode).toBe(401);
    const stranger = await seedProject(ctx, { workers: 0, sub2: false });
    expect((await ctx.app.inject({ method: 'POST', url: importUrlOf(s), headers: { ...stranger.headers.gc, 'content-type': 'text/csv' }, payload: 'a\n' })).statusCode).toBe(404);
    expect((await ctx.app.inject({ method: 'POST', url: importUrlOf(s), headers: { ...s.headers.inspector, 'content-type': 'text/csv' }, payload: 'a\n' })).statusCode).toBe(403);
    expect((await ctx.app.inject({ method: 'POST', url: importUrlOf(s), headers: { ...s.headers.sub, 'content-type': 'application/pdf' }, payload: 'a' })).statusCode).toBe(415);
  });
});

describe('staged batches and set-based apply', () => {
  const gcPrincipal = (): Principal => ({ id: 'test-gc', role: 'contractor', companyId: s.gcId, bankId: null, countyCodes: [], industries: [], label: 'gc' });
  async function* rows(list: Record<string, unknown>[]): AsyncGenerator<RawRecord> {
    let line = 1;
    for (const record of list) yield { line: ++line, record };
  }

  it('several batches: per-row outcomes in file order, people already registered keep their id, shared cards warn across batches', async () => {
    const other = await seedProject(ctx, { workers: 1, sub2: false });
    const known = other.workers[0]!; // registered (active) on another project only
    const ps = Array.from({ length: 7 }, () => person());
    const shared = ps[0]!.card; // rows 2 and 8 (different batches) share a card
    const list = ps.map((p, i) => ({ name: p.name, idNumber: p.id, bankCardNumber: i === 6 ? shared : p.card, trade: '普工', employerId: s.subId, contractSigned: '是', entryDate: '2026-05-01' }));
    list.splice(3, 0, { name: known.name, idNumber: known.idNumber, bankCardNumber: known.bankCardNumber, trade: '普工', employerId: s.subId, contractSigned: '是', entryDate: '2026-05-01' });
    list.splice(5, 0, { name: s.workers[0]!.name, idNumber: s.workers[0]!.idNumber, bankCardNumber: s.workers[0]!.bankCardNumber, trade: '普工', employerId: s.subId, contractSigned: '是', entryDate: '2026-05-01' });
    list.push({ ...list[1]!, name: '重复' });
    const scope = await projectScope(ctx.deps.db, gcPrincipal(), s.projectId);
    const before = await engagementCount(ctx, s);
    const r = await importWorkers(ctx.deps.db, ctx.deps.pii, gcPrincipal(), scope, rows(list), '2026-05-01', { batchSize: 3 });
    // lines: 2..8 = ps[0..2], known, ps[3], active, ps[4..6]; 11 = duplicate of line 3
    expect(r.accepted).toBe(8);
    expect(r.rejected.map((x) => [x.row, x.errors[0]!.message])).toEqual([[7, 'this worker is already active on this project'], [11, 'same person as row 3']]);
    expect(r.acceptedRows!.map((x) => x.row)).toEqual([2, 3, 4, 5, 6, 8, 9, 10]);
    expect(r.acceptedRows!.find((x) => x.row === 5)!.workerId).toBe(known.id);
    expect(r.warnings).toEqual([{ row: 10, warnings: [expect.objectContaining({ code: 'card_shared', message: expect.stringContaining('1 other') })] }]);
    expect(await engagementCount(ctx, s)).toBe(before + 8);
    const ev = (await ctx.deps.db.execute(sql`SELECT count(*)::int AS n FROM outbox WHERE type = 'roster.card_shared' AND project_id = ${s.projectId} AND payload->>'workerId' = ${r.acceptedRows!.find((x) => x.row === 10)!.workerId}`)) as unknown as { rows: { n: number }[] };
    expect(ev.rows[0]!.n).toBe(1);
  });

  it('never switches session_replication_role, even on a connection that may (a superuser)', async () => {
    const su = createDatabase(`${PG_BASE}/${ctx.dbName}`, { max: 2 });
    const seen: string[] = [];
    const orig = pg.Client.prototype.query;
    // Every statement the import sends, whatever the driver call shape.
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const q = args[0];
      seen.push(typeof q === 'string' ? q : String((q as { text?: string } | null)?.text ?? ''));
      return (orig as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof orig;
    try {
      const scope = await projectScope(su.db, gcPrincipal(), s.projectId);
      const ps = Array.from({ length: 3 }, () => person());
      const list = ps.map((p) => ({ name: p.name, idNumber: p.id, bankCardNumber: p.card, trade: '普工', employerId: s.subId, contractSigned: '是', entryDate: '2026-05-01' }));
      const r = await importWorkers(su.db, ctx.deps.pii, gcPrincipal(), scope, rows(list), '2026-05-01', { batchSize: 2 });
      expect(r.accepted).toBe(3);
    } finally {
      pg.Client.prototype.query = orig;
      await su.close();
    }
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.filter((t) => /session_replication_role/.test(t))).toEqual([]);
  });

  it('foreign keys and triggers stay on: a business trigger on engagements fires for every imported row', async () => {
    const scope = await projectScope(ctx.deps.db, gcPrincipal(), s.projectId);
    const run = async () => {
      const ps = Array.from({ length: 5 }, () => person());
      const list = ps.map((p) => ({ name: p.name, idNumber: p.id, bankCardNumber: p.card, trade: '普工', employerId: s.subId, contractSigned: '是', entryDate: '2026-05-01' }));
      const r = await importWorkers(ctx.deps.db, ctx.deps.pii, gcPrincipal(), scope, rows(list), '2026-05-01', { batchSize: 2 });
      expect(r.accepted).toBe(5);
      // Every engagement written points at the person of its row, on this project, with the row's employer.
      const ids = r.acceptedRows!.map((x) => x.workerId);
      const e = (await ctx.deps.db.execute(sql`SELECT count(*)::int AS n FROM engagements e JOIN workers w ON w.id = e.worker_id JOIN companies c ON c.id = e.employer_id
        WHERE e.project_id = ${s.projectId} AND e.employer_id = ${s.subId} AND e.worker_id = ANY(${`{${ids.join(',')}}`}::uuid[])`)) as unknown as { rows: { n: number }[] };
      expect(e.rows[0]!.n).toBe(5);
    };
    await run();
    await asOwner(ctx.dbName, (c) => c.query(`CREATE TABLE import_trigger_seen (id uuid);
      GRANT SELECT, INSERT ON import_trigger_seen TO wageguard_app;
      CREATE FUNCTION import_trigger_seen() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO import_trigger_seen VALUES (NEW.id); RETURN NEW; END $$;
      CREATE TRIGGER import_trigger_seen AFTER INSERT ON engagements FOR EACH ROW EXECUTE FUNCTION import_trigger_seen()`));
    try {
      await run();
      const seen = (await ctx.deps.db.execute(sql`SELECT count(*)::int AS n FROM import_trigger_seen`)) as unknown as { rows: { n: number }[] };
      expect(seen.rows[0]!.n).toBe(5);
    } finally {
      await asOwner(ctx.dbName, (c) => c.query('DROP TRIGGER import_trigger_seen ON engagements; DROP FUNCTION import_trigger_seen(); DROP TABLE import_trigger_seen'));
    }
  });

  it('a failure in a later batch rolls back the earlier ones', async () => {
    const ps = Array.from({ length: 5 }, () => person());
    async function* broken(): AsyncGenerator<RawRecord> {
      let line = 1;
      for (const p of ps) yield { line: ++line, record: { name: p.name, idNumber: p.id, bankCardNumber: p.card, trade: '普工', employerId: s.subId, contractSigned: '是', entryDate: '2026-05-01' } };
      throw Object.assign(new Error('broken quoting'), { code: 'CSV_INVALID_CLOSING_QUOTE' });
    }
    const scope = await projectScope(ctx.deps.db, gcPrincipal(), s.projectId);
    const before = await engagementCount(ctx, s);
    await expect(importWorkers(ctx.deps.db, ctx.deps.pii, gcPrincipal(), scope, broken(), '2026-05-01', { batchSize: 2 })).rejects.toThrow(/nothing was imported/);
    expect(await engagementCount(ctx, s)).toBe(before);
  });

  it('the CSV reader: quotes, doubled quotes, CRLF, BOM, blank lines, trimmed fields, line numbers, chunk boundaries', () => {
    const text = '\uFEFFa,b\r\n 1 , "x, ""y""\r\nz" \r\n\r\n\r\n3,\n"",4';
    for (const step of [1, 2, 5, 1000]) {
      const sp = new CsvSplitter();
      const out: CsvRecord[] = [];
      for (let i = 0; i < text.length; i += step) sp.push(text.slice(i, i + step), out);
      sp.end(out);
      expect(out).toEqual([{ fields: ['a', 'b'], line: 1 }, { fields: ['1', 'x, "y"\r\nz'], line: 3 }, { fields: ['3', ''], line: 6 }, { fields: ['', '4'], line: 7 }]);
    }
    for (const [bad, code] of [['a,"b\n', 'CSV_QUOTE_NOT_CLOSED'], ['a,"b"c\n', 'CSV_INVALID_CLOSING_QUOTE'], ['a,b"c\n', 'CSV_INVALID_OPENING_QUOTE']] as const) {
      const sp = new CsvSplitter();
      expect(() => { sp.push(bad, []); sp.end([]); }).toThrow(expect.objectContaining({ code }));
    }
  });
});

describe('xlsx and JSON import', () => {
  it('reads the first sheet of a workbook (Chinese headers, dates and booleans as cells)', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('花名册');
    ws.addRow(['姓名', '身份证号', '银行卡号', '工种', '班组', '劳动合同', '劳务派遣', '进场日期']);
    const ps = [person(), person()];
    ws.addRow([ps[0]!.name, ps[0]!.id, ps[0]!.card, '电工', '一班', true, false, new Date(Date.UTC(2026, 3, 3))]);
    ws.addRow([ps[1]!.name, ps[1]!.id, ps[1]!.card, '电工', '一班', '是', '否', '2026-04-03']);
    ws.addRow(['缺身份证', '', makeBankCard(nextSeed()), '电工', '', '是', '否', '2026-04-03']);
    const buf = Buffer.from(await wb.xlsx.writeBuffer());
    const r = await ctx.app.inject({ method: 'POST', url: importUrlOf(s), headers: { ...s.headers.sub, 'content-type': XLSX }, payload: buf });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ accepted: 2, rejected: [{ row: 4, errors: [{ field: 'idNumber' }] }] });
    const bad = await ctx.app.inject({ method: 'POST', url: importUrlOf(s), headers: { ...s.headers.sub, 'content-type': XLSX }, payload: Buffer.from('not a zip') });
    expect(bad.statusCode).toBe(400);
  });

  // exceljs decodes each 16 KB inflated chunk on its own: a 3-byte character across two chunks became
  // U+FFFD (a corrupted name, or 是/否 rejected). 4,000 rows of dense Chinese text cross ~60 boundaries.
  it('a JSON array with English or Chinese keys', async () => {
    const [a, b] = [person(), person()];
    const payload = JSON.stringify([
      { name: a.name, idNumber: a.id, bankCardNumber: a.card, trade: '焊工', contractSigned: true, dispatched: true, entryDate: '2026-04-05', note: 'x}"]' },
      { 姓名: b.name, 身份证号: b.id, 银行卡号: b.card, 工种: '焊工', 劳动合同: '是', 进场日期: '2026-04-05' },
      { name: 'no id', trade: '焊工', contractSigned: true, entryDate: '2026-04-05' },
    ]);
    const r = await ctx.app.inject({ method: 'POST', url: importUrlOf(s), headers: { ...s.headers.sub, 'content-type': 'application/json' }, payload });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ accepted: 2, rejected: [{ row: 3 }] });
    const notArray = await ctx.app.inject({ method: 'POST', url: importUrlOf(s), headers: { ...s.headers.sub, 'content-type': 'application/json' }, payload: '{"a":1}' });
    expect(notArray.statusCode).toBe(400);
    const truncated = await ctx.app.inject({ method: 'POST', url: importUrlOf(s), headers: { ...s.headers.sub, 'content-type': 'application/json' }, payload: payload.slice(0, 80) });
    expect(truncated.statusCode).toBe(400);
  });
});

describe('logs never carry a full resident ID or card', () => {
  let app: FastifyInstance;
  const lines: string[] = [];
  beforeAll(async () => {
    app = await buildApp(ctx.deps, { logger: { level: 'trace', redact: { paths: REDACT_PATHS, censor: '[redacted]' }, stream: { write: (l: string) => void lines.push(l) } } });
    await app.ready();
  });
  afterAll(() => app.close());

  it('registration, rejection, import, list and the admin read', async () => {
    const p = person();
    const bad = person();
    const badId = bad.id.slice(0, 17) + (bad.id[17] === '1' ? '2' : '1');
    const body = { name: p.name, idNumber: p.id, phone: '13512345678', bankCardNumber: p.card, employerId: s.subId, trade: '木工', contractSigned: true, dispatched: false, entryDate: '2026-04-01' };
    const r1 = await app.inject({ method: 'POST', url: `/v1/projects/${s.projectId}/workers`, headers: s.headers.sub, payload: body });
    expect(r1.statusCode).toBe(201);
    const r2 = await app.inject({ method: 'POST', url: `/v1/projects/${s.projectId}/workers`, headers: s.headers.sub, payload: { ...body, idNumber: badId, bankCardNumber: bad.card } });
    expect(r2.statusCode).toBe(422);
    expect(r2.body).not.toContain(badId);
    const q = person();
    const r3 = await app.inject({ method: 'POST', url: importUrlOf(s), headers: { ...s.headers.sub, 'content-type': 'text/csv' }, payload: `姓名,身份证号,银行卡号,工种,劳动合同,进场日期\n${q.name},${q.id},${q.card},木工,是,2026-04-01\n坏,${q.id.slice(0, 17)}Y,${q.card},木工,是,2026-04-01\n` });
    expect(r3.statusCode).toBe(200);
    expect((await app.inject({ url: `/v1/projects/${s.projectId}/workers?limit=500`, headers: s.headers.gc })).statusCode).toBe(200);
    const pii = await app.inject({ url: `/v1/workers/${r1.json().id}/pii`, headers: ctx.admin });
    expect(pii.json().idNumber).toBe(p.id); // the admin's own response carries it, the log must not
    const all = lines.join('\n');
    expect(lines.length).toBeGreaterThan(5);
    for (const v of [p.id, p.card, badId, bad.card, q.id, q.card, '13512345678']) expect(all).not.toContain(v);
  });
});
