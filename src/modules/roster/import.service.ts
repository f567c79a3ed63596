/**
 * Bulk roster import. Rows are streamed from the parser, validated one by one with the same rules
 * as the single registration, de-duplicated within the file, and written set-based in chunks.
 *
 * Semantics: per row. Valid rows are registered, invalid rows are listed with their line number
 * and field errors. The whole file runs in ONE transaction: either every accepted row is committed
 * together with the answer that lists them, or (malformed file, too many rows, lost connection)
 * nothing is — a file is never half-applied.
 */
import type { Db } from '../../db/client.js';
import type { PiiCipher } from '../../lib/crypto.js';
import { BadRequestError, UnprocessableError } from '../../lib/errors.js';
import { appendAudit } from '../audit/audit.service.js';
import type { Principal } from '../auth/auth.types.js';
import type { ProjectScope } from '../auth/scope.js';
import type { RawRecord } from './import.parsers.js';
import { toBool, toStr } from './import.parsers.js';
import { prepareChunk, writeChunk, type ChunkOutcome, type ChunkRow } from './register.service.js';
import { checkDispatchedCap } from './compliance.service.js';
import { rowContext } from './roster.service.js';
import { validateWorkerRow, type RowIssue, type Warning } from './worker.rules.js';

export interface ImportOptions { defaultEmployerId?: string | null; chunkSize?: number; maxRows?: number; listAccepted?: boolean }
export interface ImportResult {
  accepted: number;
  rejected: { row: number; errors: RowIssue[] }[];
  warnings: { row: number; warnings: Omit<Warning, never>[] }[];
  acceptedRows?: { row: number; workerId: string }[];
  committed: boolean;
}

/** 2026/3/1, 2026.3.1, 2026-3-1 → 2026-03-01; anything else is left for the validator to reject. */
export function normalizeDate(v: unknown): string {
  // The streaming xlsx reader skips styles, so a date cell arrives as its Excel serial day number.
  if (typeof v === 'number' && v > 20_000 && v < 80_000) return new Date(Date.UTC(1899, 11, 30) + Math.floor(v) * 86_400_000).toISOString().slice(0, 10);
  const s = toStr(v);
  const m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(s);
  return m ? `${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}` : s;
}

export async function importWorkers(db: Db, pii: PiiCipher, actor: Principal, scope: ProjectScope, source: AsyncIterable<RawRecord>, asOf: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const chunkSize = opts.chunkSize ?? 2000;
  const maxRows = opts.maxRows ?? 500_000;
  return db.transaction(async (tx) => {
    const ctx = await rowContext(tx, scope, actor);
    const defaultEmployer = opts.defaultEmployerId ?? ctx.onlyEmployer ?? null;
    const result: ImportResult = { accepted: 0, rejected: [], warnings: [], committed: true, ...(opts.listAccepted === false ? {} : { acceptedRows: [] }) };
    const seen = new Map<string, number>();
    let buf: ChunkRow[] = [];
    let pending: Promise<void> | null = null;
    let failure: unknown = null;
    let count = 0;
    let dispatchedSeen = false;

    const collect = (outs: ChunkOutcome[]) => {
      for (const o of outs) {
        if (o.ok) {
          result.accepted++;
          result.acceptedRows?.push({ row: o.ord, workerId: o.workerId });
          if (o.warnings.length) result.warnings.push({ row: o.ord, warnings: o.warnings });
        } else result.rejected.push({ row: o.ord, errors: o.errors });
      }
    };
    // Encrypt the next chunk while the previous one is being written (one chunk in flight).
    const flush = async () => {
      const prep = prepareChunk(pii, buf);
      buf = [];
      if (pending) await pending;
      if (failure) throw failure;
      pending = writeChunk(tx, scope.projectId, scope.countyCode, prep).then(collect, (e) => void (failure = e));
    };

    try {
      for await (const { line, record } of source) {
        if (++count > maxRows) throw new UnprocessableError(`A file may hold at most ${maxRows} rows; nothing was imported`, [{ path: 'body', message: `more than ${maxRows} rows` }], 'import_too_large');
        const v = validateWorkerRow({
          name: toStr(record.name), idNumber: toStr(record.idNumber), phone: toStr(record.phone) || null, bankCardNumber: toStr(record.bankCardNumber),
          employerId: toStr(record.employerId) || defaultEmployer || '', trade: toStr(record.trade), team: toStr(record.team) || null,
          contractSigned: toBool(record.contractSigned) as boolean, dispatched: toBool(record.dispatched ?? false) as boolean, entryDate: normalizeDate(record.entryDate),
        }, ctx);
        if (!v.ok) {
          result.rejected.push({ row: line, errors: v.errors });
          continue;
        }
        const first = seen.get(v.row.idNumber);
        if (first !== undefined) {
          result.rejected.push({ row: line, errors: [{ field: 'idNumber', message: `same person as row ${first}` }] });
          continue;
        }
        seen.set(v.row.idNumber, line);
        if (v.row.dispatched) dispatchedSeen = true;
        buf.push({ ord: line, row: v.row, warnings: v.warnings });
        if (buf.length >= chunkSize) await flush();
      }
    } catch (e) {
      if (e instanceof SyntaxError || (e as { code?: string }).code?.startsWith?.('CSV_')) {
        throw new BadRequestError(`The file could not be read after ${count} rows: ${(e as Error).message}; nothing was imported`);
      }
      if (e instanceof Error && /zip|end of central directory|invalid signature/i.test(e.message)) {
        throw new BadRequestError('The file is not a readable xlsx workbook; nothing was imported');
      }
      throw e;
    }
    if (buf.length) await flush();
    if (pending) await pending;
    if (failure) throw failure;
    result.rejected.sort((a, b) => a.row - b.row);
    if (dispatchedSeen) await checkDispatchedCap(tx, scope.projectId, scope.countyCode, asOf);
    await appendAudit(tx, { actor: actor.id, action: 'roster.imported', entityType: 'project', entityId: scope.projectId, projectId: scope.projectId, data: { accepted: result.accepted, rejected: result.rejected.length } });
    return result;
  });
}
