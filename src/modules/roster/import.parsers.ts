/**
 * Streaming readers for the roster import: CSV (import.csv.ts), xlsx (exceljs WorkbookReader) and a JSON
 * array (a small incremental splitter: one element in memory at a time). Each yields
 * `{ line, record }` with the record's keys already mapped to the canonical English field names.
 */
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { BadRequestError } from '../../lib/errors.js';
import { halfWidth } from '../../lib/identifiers.js';
import ExcelJS from 'exceljs';
import type { Charset } from '../../lib/text.js';
import { csvRecords } from './import.csv.js';

/** Header aliases (Chinese and English, case/space-insensitive) → canonical field. */
const ALIASES: Record<string, string> = {};
const add = (field: string, ...names: string[]) => names.forEach((n) => (ALIASES[norm(n)] = field));
// A note in brackets is dropped first: templates write 银行卡号（工资卡）, 进场日期(yyyy-mm-dd), 身份证号码【必填】.
function norm(h: string): string {
  return halfWidth(h.replace(/^\uFEFF/, '')).replace(/[(（【\[][^()（）【】[\]]*[)）】\]]/g, '').trim().toLowerCase().replace(/[\s_\-()（）*:：]/g, '');
}
add('name', 'name', 'fullname', 'workername', '姓名', '工人姓名', '人员姓名');
add('idNumber', 'idnumber', 'residentid', 'idcard', 'idno', '身份证号', '身份证号码', '公民身份号码', '身份证', '证件号码');
add('phone', 'phone', 'mobile', 'phonenumber', '手机号', '手机号码', '手机', '联系电话', '电话', '联系方式');
add('bankCardNumber', 'bankcardnumber', 'bankcard', 'cardnumber', 'card', '银行卡号', '工资卡号', '银行卡', '卡号', '工资卡', '银行账号', '银行卡账号', '工资卡账号');
add('employerId', 'employerid', 'employer', '用工单位', '用工单位id', '所属单位', '劳务企业');
add('trade', 'trade', 'occupation', '工种');
add('team', 'team', 'crew', '班组', '所属班组', '班组名称');
add('contractSigned', 'contractsigned', 'contract', '劳动合同', '是否签订劳动合同', '签订合同', '合同', '是否签订合同', '劳动合同签订情况');
add('dispatched', 'dispatched', 'dispatch', '劳务派遣', '是否劳务派遣', '派遣', '是否派遣');
add('entryDate', 'entrydate', 'startdate', '进场日期', '进场时间', '入场日期', '入职日期');

// JSON imports map every element's keys: the same few keys, normalised once (bounded against hostile keys).
const seenHeaders = new Map<string, string | null>();
export function canonicalField(header: string): string | null {
  let f = seenHeaders.get(header);
  if (f === undefined) {
    f = ALIASES[norm(header)] ?? null;
    if (seenHeaders.size < 1000) seenHeaders.set(header, f);
  }
  return f;
}

export interface RawRecord { line: number; record: Record<string, unknown>; unknownColumns?: string[] }

function mapKeys(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const f = canonicalField(k);
    if (f) out[f] = v;
  }
  return out;
}

/**
 * Finds the header row. Roster templates (花名册) usually open with a title row or two ("XX项目农民工
 * 花名册", a date, a company); those used to become the header, no column was recognised and every
 * row was rejected. The header is the first of the first rows that names two known columns; when
 * none does, the file is refused whole, with the columns it should name.
 */
class HeaderFinder {
  private scanned = 0;
  /** The row's canonical fields if it is the header; null to keep looking. */
  offer(values: unknown[]): (string | null)[] | null {
    const fields = values.map((h) => canonicalField(String(h ?? '')));
    if (fields.filter((f) => f !== null).length >= 2) return fields;
    if (++this.scanned >= HEADER_SCAN_ROWS) this.fail();
    return null;
  }
  /** At the end of the file: a file without a header row. */
  end(found: boolean): void {
    if (!found && this.scanned > 0) this.fail();
  }
  private fail(): never {
    throw new BadRequestError(`No header row in the first ${HEADER_SCAN_ROWS} rows; nothing was imported`, [
      { path: 'body', message: 'a header row naming the columns is needed, e.g. 姓名, 身份证号, 银行卡号, 工种, 劳动合同, 进场日期 (or name, idNumber, bankCardNumber, trade, contractSigned, entryDate)' },
    ]);
  }
}
const HEADER_SCAN_ROWS = 10;

export async function* readCsv(stream: Readable, charset?: Charset): AsyncGenerator<RawRecord> {
  let fields: (string | null)[] | null = null;
  const header = new HeaderFinder();
  for await (const { fields: record, line } of csvRecords(stream, charset)) {
    if (!fields) {
      fields = header.offer(record);
      continue;
    }
    const rec: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      if (f) rec[f] = record[i];
    }
    yield { line, record: rec };
  }
  header.end(fields !== null);
}

function cellText(v: unknown): unknown {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'object') {
    const o = v as { richText?: { text: string }[]; text?: string; result?: unknown };
    if (o.richText) return o.richText.map((t) => t.text).join('');
    if (o.result !== undefined) return cellText(o.result);
    if (o.text !== undefined) return o.text;
    return '';
  }
  return v;
}

/** Buffers → strings with one decoder for the whole entry: a character split across chunks stays whole. */
async function* utf8Chunks(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const d = new StringDecoder('utf8');
  for await (const c of chunks) {
    const text = typeof c === 'string' ? c : d.write(c);
    if (text) yield text;
  }
  const rest = d.end();
  if (rest) yield rest;
}

type Entry = { setEncoding(enc: 'utf8'): unknown };
/**
 * exceljs 4.4's streaming reader decodes every inflated chunk (16 KB) of a sheet on its own, so a
 * Chinese character (3 bytes in UTF-8) that straddles two chunks came out as U+FFFD: about one name,
 * trade or 是/否 in 5,000–15,000 rows was silently corrupted or wrongly rejected (exceljs issues
 * #2084, #2316; unmerged upstream). The sheets and the shared strings are handed to it as text decoded
 * across chunk boundaries instead; it passes strings through unchanged.
 */
class Utf8WorkbookReader extends ExcelJS.stream.xlsx.WorkbookReader {
  *_parseWorksheet(iterator: AsyncIterable<Buffer | string>, sheetNo: number): Generator<unknown> {
    yield* (ExcelJS.stream.xlsx.WorkbookReader.prototype as unknown as { _parseWorksheet(i: unknown, n: number): Generator<unknown> })._parseWorksheet.call(this, utf8Chunks(iterator), sheetNo);
  }

  async *_parseSharedStrings(entry: Entry): AsyncGenerator<unknown> {
    entry.setEncoding('utf8');
    yield* (ExcelJS.stream.xlsx.WorkbookReader.prototype as unknown as { _parseSharedStrings(e: Entry): AsyncGenerator<unknown> })._parseSharedStrings.call(this, entry);
  }
}

/** First worksheet only; its header row is found as for CSV (title rows above it are skipped). */
export async function* readXlsx(stream: Readable): AsyncGenerator<RawRecord> {
  const reader = new Utf8WorkbookReader(stream, { sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'ignore', worksheets: 'emit', entries: 'emit' });
  let sheetNo = 0;
  for await (const ws of reader as unknown as AsyncIterable<AsyncIterable<{ number: number; values: unknown[] }>>) {
    if (sheetNo++ > 0) {
      for await (const _row of ws) void _row; // drain other sheets
      continue;
    }
    let fields: (string | null)[] | null = null;
    const header = new HeaderFinder();
    for await (const row of ws) {
      const values = row.values.slice(1).map(cellText);
      if (!fields) {
        if (values.every((v) => v === '' || v === null || v === undefined)) continue;
        fields = header.offer(values);
        continue;
      }
      if (values.every((v) => v === '' || v === null)) continue;
      const rec: Record<string, unknown> = {};
      fields.forEach((f, i) => {
        if (f) rec[f] = typeof values[i] === 'string' ? (values[i] as string).trim() : values[i];
      });
      yield { line: row.number, record: rec };
    }
    header.end(fields !== null);
  }
}

/**
 * A top-level JSON array of objects, split incrementally: tracks string/escape state and nesting
 * depth so only the current element is buffered. Each element is then JSON.parse'd on its own.
 */
export async function* readJsonArray(stream: Readable, maxElementBytes = 64 * 1024): AsyncGenerator<RawRecord> {
  let started = false;
  let ended = false;
  let depth = 0;
  let inStr = false;
  let esc = false;
  let buf = '';
  let index = 0;
  stream.setEncoding('utf8');
  for await (const chunk of stream as AsyncIterable<string>) {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (!started) {
        if (c === '[') started = true;
        else if (!/\s|\uFEFF/.test(c)) throw new SyntaxError('the body must be a JSON array');
        continue;
      }
      if (ended) {
        if (!/\s/.test(c)) throw new SyntaxError('unexpected data after the JSON array');
        continue;
      }
      if (depth === 0) {
        if (c === ']') ended = true;
        else if (c === '{' || c === '[') {
          depth = 1;
          buf = c;
        } else if (!/[\s,]/.test(c)) throw new SyntaxError(`array element ${index + 1} is not an object`);
        continue;
      }
      buf += c;
      if (buf.length > maxElementBytes) throw new SyntaxError(`array element ${index + 1} is too large`);
      if (inStr) {
        if (esc) esc = false;
        else if (c === '\\') esc = true;
        else if (c === '"') inStr = false;
      } else if (c === '"') inStr = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) {
          index++;
          const v = JSON.parse(buf) as unknown;
          buf = '';
          if (!v || typeof v !== 'object' || Array.isArray(v)) throw new SyntaxError(`array element ${index} is not an object`);
          yield { line: index, record: mapKeys(v as Record<string, unknown>) };
        }
      }
    }
  }
  if (!started || !ended) throw new SyntaxError('the JSON array is incomplete');
}

const TRUE = new Set(['true', '1', 'yes', 'y', '是', '已签', '已签订', 't']);
const FALSE = new Set(['false', '0', 'no', 'n', '否', '未签', '未签订', 'f', '']);
export function toBool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1 ? true : v === 0 ? false : null;
  const s = String(v ?? '').trim().toLowerCase();
  return TRUE.has(s) ? true : FALSE.has(s) ? false : null;
}
export const toStr = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'number' ? (Number.isSafeInteger(v) ? String(v) : String(v)) : String(v).trim());

/**
 * A resident ID or card number that arrives as a number (a spreadsheet cell formatted as a number,
 * a JSON number) has already lost digits: Excel keeps 15 significant digits and a double 15–17, and
 * both identifiers are longer. Say so, instead of a checksum failure that sends people looking for
 * a typo.
 */
export function numericIdentifierIssues(record: Record<string, unknown>): { field: string; message: string }[] {
  const issues: { field: string; message: string }[] = [];
  for (const field of ['idNumber', 'bankCardNumber'] as const) {
    if (typeof record[field] === 'number') {
      issues.push({ field, message: 'arrived as a number, which keeps only 15–17 digits: format the column as text and enter the number again' });
    }
  }
  return issues;
}
