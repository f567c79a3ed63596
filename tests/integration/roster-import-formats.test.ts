/**
 * Roster files as Chinese offices actually produce them: title rows above the header (花名册
 * templates), CSV saved as GBK, dense Chinese text in xlsx (across the reader's chunk boundaries),
 * numbers keyed in full width or stored in numeric cells.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { sql } from 'drizzle-orm';
import type { TestContext } from '../helpers/context.js';
import { encodeGb18030 } from '../helpers/gb18030.js';
import { nextSeed, type SeededProject } from '../helpers/seed.js';
import { engagementCount, importProject, importUrlOf, person, XLSX } from './roster-import.fixtures.js';

let ctx: TestContext;
let s: SeededProject;
beforeAll(async () => ({ ctx, s } = await importProject()));
afterAll(() => ctx.close());

describe('roster templates with title rows above the header', () => {
  it('CSV and xlsx: the header is found below the titles; rows keep their physical line numbers', async () => {
    const [a, b] = [person(), person()];
    const csv = ['松原市XX项目农民工花名册,,,,,', '填报单位：XX劳务有限公司,,,,,日期：2026-04-01',
      '序号,姓名,身份证号,银行卡号,工种,劳动合同,进场日期', `1,${a.name},${a.id},${a.card},电工,是,2026-04-03`, `2,${b.name},bad-id,${b.card},电工,是,2026-04-03`].join('\n');
    const r = await ctx.app.inject({ method: 'POST', url: importUrlOf(s), headers: { ...s.headers.sub, 'content-type': 'text/csv' }, payload: csv });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ accepted: 1, rejected: [{ row: 5, errors: [{ field: 'idNumber' }] }], acceptedRows: [{ row: 4 }] });

    const c = person();
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('花名册');
    ws.addRow(['XX项目农民工实名制花名册']);
    ws.addRow([]);
    ws.addRow(['序号', '姓名', '身份证号', '银行卡号', '工种', '劳动合同', '进场日期']);
    ws.addRow([1, c.name, c.id, c.card, '木工', '是', '2026-04-03']);
    const x = await ctx.app.inject({ method: 'POST', url: importUrlOf(s), headers: { ...s.headers.sub, 'content-type': XLSX }, payload: Buffer.from(await wb.xlsx.writeBuffer()) });
    expect(x.statusCode).toBe(200);
    expect(x.json()).toMatchObject({ accepted: 1, rejected: [], acceptedRows: [{ row: 4 }] });
  });

  it('no header row in the first 10 rows, or none at all: 400 naming the columns, nothing imported', async () => {
    const before = await engagementCount(ctx, s);
    const p = person();
    const noHeader = Array.from({ length: 12 }, () => `${p.name},${p.id},${p.card},电工,是,2026-04-03`).join('\n');
    for (const payload of [noHeader, `${p.name},${p.id}\n`]) {
      const r = await ctx.app.inject({ method: 'POST', url: importUrlOf(s), headers: { ...s.headers.sub, 'content-type': 'text/csv' }, payload });
      expect(r.statusCode).toBe(400);
      expect(r.json().errors).toEqual([expect.objectContaining({ path: 'body', message: expect.stringContaining('身份证号') })]);
    }
    expect(await engagementCount(ctx, s)).toBe(before);
  });
});

describe('CSV saved as GBK (Excel on Chinese Windows)', () => {
  const gbkCsv = (rows: ReturnType<typeof person>[]) =>
    encodeGb18030(['姓名,身份证号,银行卡号,工种,班组,劳动合同,进场日期', ...rows.map((p) => `${p.name},${p.id},${p.card},钢筋工,第一班组,是,2026-04-03`)].join('\r\n') + '\r\n');
  const names = async (ids: string[]) =>
    ((await ctx.deps.db.execute(sql`SELECT name FROM workers WHERE id = ANY(${`{${ids.join(',')}}`}::uuid[]) ORDER BY name`)) as unknown as { rows: { name: string }[] }).rows.map((r) => r.name);

  it('is detected without a charset, and read as declared with charset=GBK: names stored as sent', async () => {
    for (const contentType of ['text/csv', 'text/csv; charset=GBK']) {
      const rows = [0, 1, 2].map(() => ({ ...person(), name: `张建国${nextSeed()}` }));
      const r = await ctx.app.inject({ method: 'POST', url: importUrlOf(s), headers: { ...s.headers.sub, 'content-type': contentType }, payload: gbkCsv(rows) });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({ accepted: 3, rejected: [] });
      expect(await names(r.json().acceptedRows.map((a: { workerId: string }) => a.workerId))).toEqual(rows.map((p) => p.name).sort());
    }
  });

  it('an unsupported charset: 415 naming the header, nothing imported', async () => {
    const before = await engagementCount(ctx, s);
    const r = await ctx.app.inject({ method: 'POST', url: importUrlOf(s), headers: { ...s.headers.sub, 'content-type': 'text/csv; charset=shift_jis' }, payload: gbkCsv([person()]) });
    expect(r.statusCode).toBe(415);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(r.json()).toMatchObject({ status: 415, errors: [{ path: 'headers.content-type' }] });
    expect(await engagementCount(ctx, s)).toBe(before);
  });
});

describe('spreadsheets as offices write them', () => {
  it('Chinese text across the reader\'s chunk boundaries arrives intact (shared and inline strings)', async () => {
    for (const useSharedStrings of [true, false]) {
      const path = `${process.env.TMPDIR ?? '/tmp'}/wg-xlsx-${process.pid}-${useSharedStrings}.xlsx`;
      const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings, useStyles: false });
      const ws = wb.addWorksheet('花名册');
      ws.addRow(['姓名', '身份证号', '银行卡号', '工种', '班组', '劳动合同', '劳务派遣', '进场日期']).commit();
      const sent: string[] = [];
      for (let i = 0; i < 4000; i++) {
        const p = person();
        const name = `${'张王李赵刘陈杨黄'[i % 8]}${'建国志强秀英桂兰'[(i >> 3) % 8]}导入${p.id.slice(-6)}`;
        sent.push(name);
        ws.addRow([name, p.id, p.card, '钢筋工', `第${(i % 9) + 1}班组`, '是', '否', '2026-04-03']).commit();
      }
      ws.commit();
      await wb.commit();
      const { readFileSync, rmSync } = await import('node:fs');
      const payload = readFileSync(path);
      rmSync(path, { force: true });
      const r = await ctx.app.inject({ method: 'POST', url: importUrlOf(s), headers: { ...s.headers.sub, 'content-type': XLSX }, payload });
      expect(r.statusCode).toBe(200);
      const body = r.json() as { accepted: number; rejected: unknown[]; acceptedRows: { row: number; workerId: string }[] };
      expect(body.rejected).toEqual([]);
      expect(body.accepted).toBe(4000);
      const ids = body.acceptedRows.map((a) => a.workerId);
      const stored = ((await ctx.deps.db.execute(sql`SELECT id, name FROM workers WHERE id = ANY(${`{${ids.join(',')}}`}::uuid[])`)) as unknown as { rows: { id: string; name: string }[] }).rows;
      const nameOf = new Map(stored.map((w) => [w.id, w.name]));
      const got = body.acceptedRows.map((a) => nameOf.get(a.workerId));
      expect(got.filter((n, i) => n !== sent[i])).toEqual([]);
    }
  });

  it('IDs and cards in numeric cells are named as such; full-width (全角) numbers are read as the same numbers', async () => {
    const [a, b, c] = [person(), person(), person()];
    const full = (x: string) => x.replace(/[0-9X]/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0));
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('花名册');
    ws.addRow(['姓名', '身份证号', '银行卡号', '工种', '劳动合同', '进场日期']);
    ws.addRow([a.name, Number(a.id.replace(/X$/, '0')), a.card, '电工', '是', '2026-04-03']);
    ws.addRow([b.name, b.id, Number(b.card), '电工', '是', '2026-04-03']);
    ws.addRow([c.name, full(c.id), full(c.card), '电工', '是', '2026-04-03']);
    const r = await ctx.app.inject({ method: 'POST', url: importUrlOf(s), headers: { ...s.headers.sub, 'content-type': XLSX }, payload: Buffer.from(await wb.xlsx.writeBuffer()) });
    expect(r.statusCode).toBe(200);
    const body = r.json() as { accepted: number; rejected: { row: number; errors: { field: string; message: string }[] }[]; acceptedRows: { workerId: string }[] };
    expect(body.accepted).toBe(1);
    expect(body.rejected).toEqual([
      { row: 2, errors: [{ field: 'idNumber', message: expect.stringContaining('format the column as text') }] },
      { row: 3, errors: [{ field: 'bankCardNumber', message: expect.stringContaining('format the column as text') }] },
    ]);
    const w = (await ctx.deps.db.execute(sql`SELECT id_number_masked AS m, bank_card_masked AS card FROM workers WHERE id = ${body.acceptedRows[0]!.workerId}`)) as unknown as { rows: { m: string; card: string }[] };
    expect(w.rows[0]).toEqual({ m: c.id.slice(0, 4) + '*'.repeat(10) + c.id.slice(-4), card: expect.stringMatching(new RegExp(`${c.card.slice(-4)}$`)) });
    // the same person keyed in half width afterwards is the same person: already active here
    const again = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${s.projectId}/workers`, headers: s.headers.sub,
      payload: { name: c.name, idNumber: c.id, bankCardNumber: c.card, employerId: s.subId, trade: '电工', contractSigned: true, dispatched: false, entryDate: '2026-04-03' } });
    expect(again.statusCode).toBe(422);
  });

});
