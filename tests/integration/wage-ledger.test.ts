import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { all, fundWage } from '../helpers/disbursement.js';
import { seedProject, type SeededProject } from '../helpers/seed.js';
import { itemisedSheet, LINE, payMonth } from './project-life.fixtures.js';

let ctx: TestContext;
let s: SeededProject;
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
type Row = { month: string; workerName: string; idNumber: string; cardNumber: string; netFen: number; grossFen: number; paidFen: number; status: string; endToEndId: string; pay: unknown; hours: number | null };

beforeAll(async () => {
  ctx = await createTestContext();
  s = await seedProject(ctx, { workers: 3, sub2: false, attendance: false });
  await fundWage(ctx, s, 9 * LINE.netFen);
  await payMonth(ctx, s, '2026-08');
  await payMonth(ctx, s, '2026-09');
});
afterAll(() => ctx?.close());

const ledger = (headers: { authorization: string }, qs = '', accept?: string) =>
  ctx.app.inject({ method: 'GET', url: `/v1/projects/${s.projectId}/wage-ledger${qs}`, headers: { ...headers, ...(accept ? { accept } : {}) } });

describe('itemised wage lines', () => {
  it('items must sum to gross and to deductions (422 on the line path, nothing stored); an other deduction needs its reason', async () => {
    const body = itemisedSheet(s, '2026-10', s.workerIds);
    body.lines[1] = { ...body.lines[1]!, pay: { ...LINE.pay, bonusFen: 1 } as never };
    body.lines[2] = { ...body.lines[2]!, deductions: { socialInsuranceFen: 30_000, otherFen: 20_000 } } as never;
    const r = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${s.projectId}/payrolls`, headers: s.headers.sub, payload: body });
    expect(r.statusCode).toBe(422);
    expect(r.json().errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.lines[1].pay', 'body.lines[2].deductions.otherReason']);
    expect(await all(ctx, sql`SELECT 1 FROM payrolls WHERE project_id = ${s.projectId} AND month = '2026-10'`)).toHaveLength(0);
  });

  it('a sheet without items keeps working and shows empty item columns', async () => {
    const lines = s.workerIds.map((workerId) => ({ workerId, daysWorked: 20, grossFen: 650_000, deductionsFen: 50_000, netFen: 600_000 }));
    const r = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${s.projectId}/payrolls`, headers: s.headers.sub, payload: { month: '2026-10', employerId: s.subId, control: { lineCount: 3, totalNetFen: 1_800_000 }, lines } });
    expect(r.statusCode, r.body).toBe(201);
  });
});

describe('GET /v1/projects/{id}/wage-ledger', () => {
  it('JSON: one row per worker and month with items, payment and bank reference, masked; scoped', async () => {
    const r = await ledger(s.headers.inspector);
    expect(r.statusCode, r.body).toBe(200);
    const b = r.json() as { items: Row[]; totals: { lines: number; netFen: number; paidFen: number }; from: string; to: string };
    expect(b).toMatchObject({ from: '2026-08', to: '2026-10', totals: { lines: 9, netFen: 9 * LINE.netFen, paidFen: 6 * LINE.netFen } });
    const aug = b.items.filter((i) => i.month === '2026-08');
    expect(aug).toHaveLength(3);
    expect(aug[0]).toMatchObject({ pay: LINE.pay, hours: 160, status: 'paid', paidFen: LINE.netFen, endToEndId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(aug[0]!.idNumber).toContain('*');
    expect(b.items.find((i) => i.month === '2026-10')).toMatchObject({ pay: null, status: 'pending' });
    expect(JSON.stringify(b)).not.toContain(s.workers[0]!.idNumber);

    expect((await ledger(s.headers.otherInspector)).statusCode).toBe(404);
    expect((await ledger(s.headers.inspector, '?full=true')).statusCode).toBe(403);
    expect((await ledger(s.headers.sub, '?from=2026-09&to=2026-09')).json().items).toHaveLength(3);
  });

  it('full IDs and cards for an admin, audited', async () => {
    const r = await ledger(ctx.admin, '?from=2026-08&to=2026-08&full=true');
    const names = new Map(s.workers.map((w) => [w.name, w]));
    for (const i of r.json().items as Row[]) {
      expect(i.idNumber).toBe(names.get(i.workerName)!.idNumber);
      expect(i.cardNumber).toBe(names.get(i.workerName)!.bankCardNumber);
    }
    expect(await all(ctx, sql`SELECT 1 FROM audit_log WHERE action = 'wage_ledger.full_read' AND project_id = ${s.projectId}`)).toHaveLength(1);
  });

  it('xlsx read back with exceljs, row for row against the JSON: a sheet per month, frozen header, totals', async () => {
    const json = (await ledger(s.headers.gc)).json() as { items: Row[] };
    const r = await ledger(s.headers.gc, '', XLSX);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain(XLSX);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(r.rawPayload as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['2026-08', '2026-09', '2026-10']);
    for (const ws of wb.worksheets) {
      expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
      const header = (ws.getRow(1).values as unknown[]).slice(1);
      expect(header.slice(0, 3)).toEqual(['序号', '姓名', '身份证号']);
      const col = (h: string) => header.indexOf(h) + 1;
      const rows = json.items.filter((i) => i.month === ws.name);
      rows.forEach((i, k) => {
        const row = ws.getRow(k + 2);
        expect(row.getCell(col('姓名')).value).toBe(i.workerName);
        expect(row.getCell(col('身份证号')).value).toBe(i.idNumber);
        expect(row.getCell(col('工资卡号')).value).toBe(i.cardNumber);
        expect(Math.round(Number(row.getCell(col('实发工资')).value) * 100)).toBe(i.netFen);
        expect(Math.round(Number(row.getCell(col('已支付金额')).value) * 100)).toBe(i.paidFen);
        expect(row.getCell(col('银行流水号(EndToEndId)')).value).toBe(i.endToEndId);
      });
      const total = ws.getRow(rows.length + 2);
      expect(total.getCell(1).value).toBe('合计');
      expect(Math.round(Number(total.getCell(col('实发工资')).value) * 100)).toBe(rows.reduce((a, i) => a + i.netFen, 0));
      expect(ws.getRow(rows.length + 3).getCell(1).value ?? null).toBeNull();
    }
  });

  it('PDF through pdftotext: Chinese names, page and month totals, the signature box', async () => {
    const r = await ledger(s.headers.gc, '?from=2026-08&to=2026-09', 'application/pdf');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('application/pdf');
    const dir = mkdtempSync(join(tmpdir(), 'wg-ledger-'));
    writeFileSync(join(dir, 'l.pdf'), r.rawPayload);
    const text = execFileSync('pdftotext', ['-layout', join(dir, 'l.pdf'), '-'], { encoding: 'utf8' });
    expect(text).toContain('工资支付台账');
    for (const w of s.workers) expect(text).toContain(w.name);
    expect(text).toContain('本页合计');
    expect(text).toContain('本月合计');
    expect(text).toContain('18,000.00'); // 3 × CNY 6,000 net per month
    expect(text).toContain('劳资专管员');
    expect(text).not.toContain(s.workers[0]!.idNumber);
    expect((text.match(/\f/g) ?? []).length).toBeGreaterThanOrEqual(2); // a page per month at least
  });
});
