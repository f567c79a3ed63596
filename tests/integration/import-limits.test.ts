import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { crc32, deflateRawSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { seedProject, type SeededProject } from '../helpers/seed.js';
import { engagementCount, importUrlOf, person, XLSX } from './roster-import.fixtures.js';

let ctx: TestContext;
let s: SeededProject;
beforeAll(async () => {
  ctx = await createTestContext({
    IMPORT_MAX_BYTES: String(64 * 1024), IMPORT_UPLOAD_SECONDS: '2', IMPORTS_PER_COMPANY: '1',
    IMPORT_XLSX_MAX_INFLATED_BYTES: String(4 * 1024 * 1024), IMPORT_XLSX_MAX_SHARED_STRINGS: '5000', IMPORT_XLSX_MAX_CELLS: '50000',
  });
  s = await seedProject(ctx, { workers: 1 });
});
afterAll(() => ctx.close());

const HEADER = '姓名,身份证号,银行卡号,工种,劳动合同,进场日期\n';
const rowOf = () => {
  const p = person();
  return `${p.name},${p.id},${p.card},普工,是,2026-05-01\n`;
};
const post = (payload: string | Buffer | PassThrough, type = 'text/csv') =>
  ctx.app.inject({ method: 'POST', url: importUrlOf(s), headers: { ...s.headers.sub, 'content-type': type }, payload });
/** Backends of this database's runtime role sitting inside an open transaction. */
const inTransaction = async () => ((await ctx.deps.pool.query(`SELECT count(*)::int AS n FROM pg_stat_activity
  WHERE datname = current_database() AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'`)).rows[0] as { n: number }).n;

/** A minimal zip (stored names, deflated data) with the given entries. */
function zip(entries: [string, Buffer][]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const comp = deflateRawSync(data, { level: 9 });
    const n = Buffer.from(name);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0); lh.writeUInt16LE(20, 4); lh.writeUInt16LE(8, 8);
    lh.writeUInt32LE(crc32(data), 14); lh.writeUInt32LE(comp.length, 18); lh.writeUInt32LE(data.length, 22); lh.writeUInt16LE(n.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0); ch.writeUInt16LE(20, 4); ch.writeUInt16LE(20, 6); ch.writeUInt16LE(8, 10);
    ch.writeUInt32LE(crc32(data), 16); ch.writeUInt32LE(comp.length, 20); ch.writeUInt32LE(data.length, 24); ch.writeUInt16LE(n.length, 28); ch.writeUInt32LE(offset, 42);
    locals.push(lh, n, comp);
    centrals.push(ch, n);
    offset += 30 + n.length + comp.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(entries.length, 8); end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
/** The crafted file: a zip with an xlsx's part names (refused before any parsing, so no more is needed). */
const workbookWith = async (part: string, content: Buffer): Promise<Buffer> =>
  zip([['[Content_Types].xml', Buffer.from('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')], ['xl/workbook.xml', Buffer.from('<workbook/>')], [part, content]]);

describe('roster import limits', () => {
  it('the pool sets statement_timeout and idle_in_transaction_session_timeout on its connections', async () => {
    const r = await ctx.deps.pool.query(`SELECT current_setting('statement_timeout') AS st, current_setting('idle_in_transaction_session_timeout') AS idle`);
    expect(r.rows[0]).toEqual({ st: '5min', idle: '1min' });
  });
  it('a slow upload holds no transaction while it is being sent, and is cut off at the time limit (408)', async () => {
    const body = new PassThrough();
    body.write(HEADER + rowOf());
    const pending = post(body);
    await new Promise((r) => setTimeout(r, 700));
    expect(await inTransaction()).toBe(0);
    const r = await pending; // never ended: the 2 s upload limit answers
    expect(r.statusCode).toBe(408);
    body.destroy();
  });
  it('past the byte limit: 413, nothing imported', async () => {
    const before = await engagementCount(ctx, s);
    let csv = HEADER;
    while (csv.length < 70 * 1024) csv += rowOf();
    const r = await post(csv);
    expect(r.statusCode).toBe(413);
    expect(await engagementCount(ctx, s)).toBe(before);
  });
  it('one import at a time per company: a second one meanwhile is 429', async () => {
    const body = new PassThrough();
    body.write(HEADER);
    const first = post(body);
    await new Promise((r) => setTimeout(r, 300));
    const second = await post(HEADER + rowOf());
    expect(second.statusCode).toBe(429);
    body.end(rowOf());
    expect((await first).statusCode).toBe(200);
    expect((await post(HEADER + rowOf())).statusCode).toBe(200); // the slot is free again
  });
  it('an xlsx zip bomb is refused with 413 before it is parsed (decompressed size, shared strings, cells)', async () => {
    const before = await engagementCount(ctx, s);
    // ~8 MB of one repeated byte deflates to a few KB: under the byte limit as sent, over the inflate limit.
    const bomb = await workbookWith('xl/worksheets/sheet1.xml', Buffer.alloc(8 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const r1 = await post(bomb, XLSX);
    expect(r1.statusCode).toBe(413);
    expect(r1.json().detail ?? r1.json().title).toMatch(/decompressed/);
    const strings = await workbookWith('xl/sharedStrings.xml', Buffer.from(`<sst>${'<si><t>x</t></si>'.repeat(6000)}</sst>`));
    const r2 = await post(strings, XLSX);
    expect(r2.statusCode).toBe(413);
    expect(JSON.stringify(r2.json())).toMatch(/shared strings/);
    const cells = await workbookWith('xl/worksheets/sheet1.xml', Buffer.from(`<worksheet><sheetData>${'<row><c r="A1"><v>1</v></c></row>'.repeat(60_000)}</sheetData></worksheet>`));
    const r3 = await post(cells, XLSX);
    expect(r3.statusCode).toBe(413);
    expect(JSON.stringify(r3.json())).toMatch(/cells/);
    expect(await engagementCount(ctx, s)).toBe(before);
  });
  it('an ordinary xlsx still imports', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('花名册');
    ws.addRow(['姓名', '身份证号', '银行卡号', '工种', '劳动合同', '进场日期']);
    const p = person();
    ws.addRow([p.name, p.id, p.card, '普工', '是', '2026-05-01']);
    const r = await post(Buffer.from(await wb.xlsx.writeBuffer()), XLSX);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().accepted).toBe(1);
  });
});
