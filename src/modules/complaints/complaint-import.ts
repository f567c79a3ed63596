import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import type { Deps } from '../../deps.js';
import { AppError, BadRequestError } from '../../lib/errors.js';
import type { Principal } from '../auth/auth.types.js';
import { CHANNELS, type Channel } from './complaints.rules.js';
import { fileComplaint } from './complaints.service.js';

export const MAX_IMPORT_ROWS = 1000;

/** Column headers as inspectors' sheets write them (Chinese) or as the API names the fields. */
const HEADERS: Record<string, string> = {
  项目编号: 'projectId', projectid: 'projectId', 欠薪单位: 'employerName', 用工单位: 'employerName', employername: 'employerName',
  欠薪月份: 'months', months: 'months', '欠薪金额(元)': 'amountYuan', 欠薪金额: 'amountYuan', amountyuan: 'amountYuan', amountclaimedfen: 'amountClaimedFen',
  涉及人数: 'workersAffected', workersaffected: 'workersAffected', 情况说明: 'description', description: 'description',
  投诉人: 'complainantName', complainantname: 'complainantName', 投诉人电话: 'complainantPhone', 联系电话: 'complainantPhone', complainantphone: 'complainantPhone',
  来源: 'channel', channel: 'channel',
};
const CHANNEL_ZH: Record<string, Channel> = { '12333': 'phone_12333', 来电: 'phone_12333', 来访: 'walk_in', 全国平台: 'national_platform', 根治欠薪线索反映平台: 'national_platform' };
const key = (h: string) => HEADERS[h.normalize('NFKC').replace(/\s/g, '').replace(/（/g, '(').replace(/）/g, ')').toLowerCase()] ?? HEADERS[h.trim()] ?? null;

async function rowsOf(kind: 'csv' | 'xlsx', body: Buffer): Promise<string[][]> {
  if (kind === 'csv') return parse(body.toString('utf8').replace(/^\uFEFF/, ''), { relax_column_count: true, skip_empty_lines: true }) as string[][];
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(body as unknown as ArrayBuffer);
  const ws = wb.worksheets[0];
  const out: string[][] = [];
  ws?.eachRow((row) => {
    const vals = (row.values as unknown[]).slice(1).map((v) => (v === null || v === undefined ? '' : typeof v === 'object' && 'text' in (v as object) ? String((v as { text: unknown }).text) : String(v)));
    out.push(vals);
  });
  return out;
}

/**
 * Complaints an inspector received elsewhere (12333, in person, the national platform), many at once.
 * Each row is filed on its own (its own case routing and alert); a bad row is reported, not fatal.
 */
export async function importComplaints(deps: Pick<Deps, 'db' | 'pii' | 'queues'>, p: Principal, kind: 'csv' | 'xlsx', body: Buffer, now: Date) {
  let rows: string[][];
  try {
    rows = await rowsOf(kind, body);
  } catch {
    throw new BadRequestError(`Cannot read this ${kind} file`);
  }
  const header = (rows[0] ?? []).map(key);
  if (!header.includes('projectId')) throw new BadRequestError('The first row must name the columns (项目编号, 欠薪月份, 欠薪金额(元), 涉及人数, 情况说明, 来源 …)', [{ path: 'body', message: 'no 项目编号 / projectId column' }]);
  if (rows.length - 1 > MAX_IMPORT_ROWS) throw new BadRequestError(`At most ${MAX_IMPORT_ROWS} complaints per file`);
  const accepted: { row: number; id: string; ref: string; caseId: string | null }[] = [];
  const rejected: { row: number; errors: { path: string; message: string }[] }[] = [];
  for (let i = 1; i < rows.length; i++) {
    const rec: Record<string, string> = {};
    header.forEach((k, j) => { if (k) rec[k] = String(rows[i]![j] ?? '').trim(); });
    const errors: { path: string; message: string }[] = [];
    const months = (rec.months ?? '').split(/[;,，；\s]+/).filter(Boolean).map((m) => m.replace(/^(\d{4})[./年-](\d{1,2})月?$/, (_x, y: string, mo: string) => `${y}-${mo.padStart(2, '0')}`));
    if (!months.length || months.some((m) => !/^\d{4}-(0[1-9]|1[0-2])$/.test(m))) errors.push({ path: 'months', message: 'months as YYYY-MM' });
    const fen = rec.amountClaimedFen ? Number(rec.amountClaimedFen) : Math.round(Number((rec.amountYuan ?? '').replace(/[,，¥\s]/g, '')) * 100);
    if (!Number.isSafeInteger(fen) || fen < 0) errors.push({ path: 'amount', message: 'an amount in yuan' });
    const workers = Number(rec.workersAffected);
    if (!Number.isInteger(workers) || workers < 1) errors.push({ path: 'workersAffected', message: 'a whole number ≥ 1' });
    const channel = (CHANNELS as readonly string[]).includes(rec.channel ?? '') ? (rec.channel as Channel) : CHANNEL_ZH[rec.channel ?? ''] ?? 'phone_12333';
    if (!rec.description) errors.push({ path: 'description', message: 'required' });
    if (!/^[0-9a-f-]{36}$/i.test(rec.projectId ?? '')) errors.push({ path: 'projectId', message: 'a project id' });
    if (errors.length) { rejected.push({ row: i + 1, errors }); continue; }
    try {
      const r = await fileComplaint(deps, p, {
        projectId: rec.projectId!, employerName: rec.employerName || undefined, months, amountClaimedFen: fen, workersAffected: workers,
        description: rec.description!.slice(0, 4000), complainantName: rec.complainantName || undefined, complainantPhone: rec.complainantPhone || undefined, channel,
      }, now);
      accepted.push({ row: i + 1, id: r.id, ref: r.ref, caseId: r.caseId });
    } catch (e) {
      if (!(e instanceof AppError) || e.status >= 500) throw e;
      rejected.push({ row: i + 1, errors: e.errors?.length ? e.errors : [{ path: 'row', message: e.message }] });
    }
  }
  return { accepted: accepted.length, rejected, items: accepted };
}
