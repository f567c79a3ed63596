import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { firstWorkingDay } from '../../src/modules/reports/county-report.service.js';
import { EMPTY_CALENDAR } from '../../src/lib/calendar.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { all, fundWage } from '../helpers/disbursement.js';
import { seedProject, type SeededProject } from '../helpers/seed.js';
import { LINE, payMonth } from './project-life.fixtures.js';

let ctx: TestContext;
let s: SeededProject;
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const COUNTY = '220781';

beforeAll(async () => {
  ctx = await createTestContext();
  s = await seedProject(ctx, { workers: 2, sub2: false, attendance: false, countyCode: COUNTY });
  await fundWage(ctx, s, 2 * LINE.netFen);
  await payMonth(ctx, s, '2026-09', { reject: [s.workerIds[1]!] });
});
afterAll(() => ctx?.close());

const report = (headers: { authorization: string }, qs: string, accept?: string) =>
  ctx.app.inject({ method: 'GET', url: `/v1/reports/county-monthly?${qs}`, headers: { ...headers, ...(accept ? { accept } : {}) } });

describe('county monthly report', () => {
  it('per industry and total: projects, workers, clearance against the target; scoped to the inspector', async () => {
    const r = await report(s.headers.inspector, `countyCode=${COUNTY}&month=2026-09`);
    expect(r.statusCode, r.body).toBe(200);
    const total = r.json().rows.at(-1);
    expect(total).toMatchObject({ industry: 'total', projects: 1, workers: 2, linesDue: 2, linesCleared: 1, clearanceBp: 5000, clearanceTargetBp: 9900, blacklistListed: 0 });
    expect(r.json().rows[0].industry).toBe('housing');
    expect((await report(s.headers.otherInspector, `countyCode=${COUNTY}&month=2026-09`)).statusCode).toBe(404);
    expect((await report(s.headers.gc, `countyCode=${COUNTY}&month=2026-09`)).statusCode).toBe(403);
  });

  it('is kept once generated for a past month: later changes do not alter it; listed for the console', async () => {
    await ctx.deps.db.execute(sql`UPDATE payroll_lines SET status = 'paid' WHERE project_id = ${s.projectId}`);
    const again = await report(s.headers.inspector, `countyCode=${COUNTY}&month=2026-09`);
    expect(again.json().rows.at(-1).clearanceBp).toBe(5000);
    const kept = await ctx.app.inject({ method: 'GET', url: `/v1/reports/county-monthly/kept?countyCode=${COUNTY}`, headers: s.headers.inspector });
    expect(kept.json().items).toEqual([expect.objectContaining({ countyCode: COUNTY, month: '2026-09' })]);
  });

  it('xlsx and PDF (Chinese headers, the clearance rate)', async () => {
    const x = await report(s.headers.inspector, `countyCode=${COUNTY}&month=2026-09`, XLSX);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.rawPayload as unknown as ArrayBuffer);
    const ws = wb.worksheets[0]!;
    expect((ws.getRow(1).values as unknown[]).slice(1, 7)).toEqual(['行业', '在建项目', '在册工人', '应发人次', '已结清人次', '结清率']);
    expect(ws.getRow(3).getCell(1).value).toBe('合计');
    expect(ws.getRow(3).getCell(6).value).toBe('50.00%');
    const p = await report(s.headers.inspector, `countyCode=${COUNTY}&month=2026-09`, 'application/pdf');
    expect(p.headers['content-type']).toBe('application/pdf');
    const dir = mkdtempSync(join(tmpdir(), 'wg-county-'));
    writeFileSync(join(dir, 'r.pdf'), p.rawPayload);
    const text = execFileSync('pdftotext', ['-layout', join(dir, 'r.pdf'), '-'], { encoding: 'utf8' });
    for (const w of ['农民工工资支付监管月度报表', '房屋建筑', '合计', '50.00%', '99.00%']) expect(text).toContain(w);
  });

  it('the nightly job keeps last month\'s report from the 1st working day, once; and raises the life signals once', async () => {
    expect(firstWorkingDay('2026-11', EMPTY_CALENDAR)).toBe('2026-11-02'); // 1 November 2026 is a Sunday
    const before = await ctx.app.inject({ method: 'POST', url: '/v1/admin/retention', headers: ctx.admin, payload: { asOf: '2026-11-01' } });
    expect(before.json().countyReports).not.toContain(COUNTY);
    const on = await ctx.app.inject({ method: 'POST', url: '/v1/admin/retention', headers: ctx.admin, payload: { asOf: '2026-11-02' } });
    expect(on.json().countyReports).toContain(COUNTY);
    const twice = await ctx.app.inject({ method: 'POST', url: '/v1/admin/retention', headers: ctx.admin, payload: { asOf: '2026-11-03' } });
    expect(twice.json().countyReports).not.toContain(COUNTY);
    expect(await all(ctx, sql`SELECT 1 FROM county_reports WHERE county_code = ${COUNTY} AND month = '2026-10'`)).toHaveLength(1);

    // A worker exits with no final line; the project runs past its planned end (2027-12-31) + 30 days.
    const exit = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${s.projectId}/workers/${s.workerIds[0]}/exit`, headers: s.headers.sub, payload: { exitDate: '2026-11-20' } });
    expect(exit.statusCode).toBe(200);
    const sig = await ctx.app.inject({ method: 'POST', url: '/v1/admin/retention', headers: ctx.admin, payload: { asOf: '2028-02-01' } });
    expect(sig.json().signals).toMatchObject({ completionOverdue: expect.any(Number), finalLineMissing: expect.any(Number) });
    await ctx.app.inject({ method: 'POST', url: '/v1/admin/retention', headers: ctx.admin, payload: { asOf: '2028-02-02' } });
    const events = await all<{ type: string }>(ctx, sql`SELECT type FROM outbox WHERE project_id = ${s.projectId} AND type IN ('project.completion_overdue', 'roster.final_line_missing')`);
    expect(events.map((e) => e.type).sort()).toEqual(['project.completion_overdue', 'roster.final_line_missing']);
    const early = await ctx.app.inject({ method: 'POST', url: '/v1/admin/retention', headers: s.headers.gc, payload: { asOf: '2028-02-02' } });
    expect(early.statusCode).toBe(403);
  });
});
