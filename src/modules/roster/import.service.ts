/**
 * Bulk roster import. Rows are streamed from the parser, validated one by one with the same rules
 * as the single registration, de-duplicated within the file, encrypted and COPY-streamed into a
 * staging table, then applied set-based over the whole file (import.stage.ts).
 *
 * Semantics: per row. Valid rows are registered, invalid rows are listed with their line number
 * and field errors. The whole file runs in ONE transaction: either every accepted row is committed
 * together with the answer that lists them, or (malformed file, too many rows, lost connection)
 * nothing is — a file is never half-applied.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Db } from '../../db/client.js';
import type { PiiCipher } from '../../lib/crypto.js';
import { BadRequestError, UnprocessableError } from '../../lib/errors.js';
import { halfWidth } from '../../lib/identifiers.js';
import { appendAudit } from '../audit/audit.service.js';
import type { Principal } from '../auth/auth.types.js';
import type { ProjectScope } from '../auth/scope.js';
import type { RawRecord } from './import.parsers.js';
import { numericIdentifierIssues, toBool, toStr } from './import.parsers.js';
import { EVENTS } from '../../jobs/event-types.js';
import { emit } from '../alerts/outbox.service.js';
import { ImportStage, type BatchHandler } from './import.stage.js';
import { checkDispatchedCap } from './compliance.service.js';
import { emitIdentityMismatches, type MismatchAttempt } from './identity.service.js';
import { ALREADY_ACTIVE, NAME_MISMATCH } from './register.service.js';
import { rowContext } from './roster.service.js';
import { validateWorkerRow, type RowIssue, type Warning } from './worker.rules.js';

export interface ImportOptions { defaultEmployerId?: string | null; maxRows?: number; listAccepted?: boolean; /** rows per staged batch (default 10,000) */ batchSize?: number }
export interface ImportResult {
  accepted: number;
  rejected: { row: number; errors: RowIssue[] }[];
  warnings: { row: number; warnings: Omit<Warning, never>[] }[];
  acceptedRows?: { row: number; workerId: string }[];
  committed: boolean;
}

/** 2026/3/1, 2026.3.1, 2026-3-1, 2026年3月1日, 20260301 (full width too) → 2026-03-01; anything else is left for the validator to reject. */
export function normalizeDate(v: unknown): string {
  // The streaming xlsx reader skips styles, so a date cell arrives as its Excel serial day number.
  if (typeof v === 'number' && v > 20_000 && v < 80_000) return new Date(Date.UTC(1899, 11, 30) + Math.floor(v) * 86_400_000).toISOString().slice(0, 10);
  const s = halfWidth(toStr(v));
  const m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(s) ?? /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  return m ? `${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}` : s;
}

export async function importWorkers(db: Db, pii: PiiCipher, actor: Principal, scope: ProjectScope, source: AsyncIterable<RawRecord>, asOf: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const maxRows = opts.maxRows ?? 500_000;
  return db.transaction(async (tx) => {
    const ctx = await rowContext(tx, scope, actor);
    const defaultEmployer = opts.defaultEmployerId ?? ctx.onlyEmployer ?? null;
    const result: ImportResult = { accepted: 0, rejected: [], warnings: [], committed: true, ...(opts.listAccepted === false ? {} : { acceptedRows: [] }) };
    // Within-file duplicates by resident ID → first line. Warnings are sparse: kept only for rows that have some.
    const seen = new Map<string, number>();
    const warningsOf = new Map<number, Warning[]>();
    // Employer per staged row, only until its batch is applied (the identity-mismatch alert names it).
    const employerOf = new Map<number, string>();
    let count = 0;
    let dispatchedSeen = false;

    // Per batch, in file order: accepted rows, late rejections (already active here) and card sharing.
    const onBatch: BatchHandler = async (outcomes) => {
      const events = [];
      const mismatches: MismatchAttempt[] = [];
      for (const o of outcomes) {
        if (o.workerId === null) {
          if (o.refusal === 'name') {
            // Same answer as the single registration: nothing about the registered holder.
            result.rejected.push({ row: o.ord, errors: [{ field: 'name', message: NAME_MISMATCH }] });
            mismatches.push({ existingWorkerId: o.existingWorkerId!, idMasked: o.idMasked!, employerId: employerOf.get(o.ord)! });
          } else result.rejected.push({ row: o.ord, errors: [{ field: 'idNumber', message: ALREADY_ACTIVE }] });
          employerOf.delete(o.ord);
          continue;
        }
        employerOf.delete(o.ord);
        result.accepted++;
        result.acceptedRows?.push({ row: o.ord, workerId: o.workerId });
        let warnings = warningsOf.get(o.ord) ?? [];
        warningsOf.delete(o.ord);
        if (o.others > 0) {
          warnings = [...warnings, { code: 'card_shared', field: 'bankCardNumber', message: `this card is also registered to ${o.others} other worker(s)` }];
          events.push({ type: EVENTS.cardShared, projectId: scope.projectId, countyCode: scope.countyCode, companyId: o.employerId!, payload: { workerId: o.workerId, cardMasked: o.cardMasked!, otherWorkers: o.others } });
        }
        if (warnings.length) result.warnings.push({ row: o.ord, warnings });
      }
      if (events.length) await emit(tx, ...events);
      await emitIdentityMismatches(tx, scope.projectId, scope.countyCode, actor.id, mismatches);
    };
    const stage = await ImportStage.open(tx, pii, scope.projectId, actor.id, onBatch, opts.batchSize);
    try {
      return await runImport(stage);
    } finally {
      stage.detach();
    }

    async function runImport(stage: ImportStage): Promise<ImportResult> {
      try {
        for await (const { line, record } of source) {
          // A turn of the event loop every 512 rows. An upload that is already buffered reaches this
          // loop through promises alone, and the in-flight batch's COPY and apply (socket I/O of the
          // transaction's connection) only progress when the event loop polls: without it Postgres
          // sat idle waiting for the rest of a batch, ~1 s of a 100,000-row import.
          if ((count & 511) === 511) await nextTurn();
          if (++count > maxRows) throw new UnprocessableError(`A file may hold at most ${maxRows} rows; nothing was imported`, [{ path: 'body', message: `more than ${maxRows} rows` }], 'import_too_large');
          const lost = numericIdentifierIssues(record);
          if (lost.length) {
            result.rejected.push({ row: line, errors: lost });
            continue;
          }
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
          if (v.warnings.length) warningsOf.set(line, v.warnings);
          employerOf.set(line, v.row.employerId);
          if (stage.add(line, v.row)) await stage.flush();
        }
        await stage.finish();
      } catch (e) {
        await stage.abort();
        if (e instanceof SyntaxError || (e as { code?: string }).code?.startsWith?.('CSV_')) {
          throw new BadRequestError(`The file could not be read after ${count} rows: ${(e as Error).message}; nothing was imported`);
        }
        if (e instanceof Error && /zip|end of central directory|invalid signature/i.test(e.message)) {
          throw new BadRequestError('The file is not a readable xlsx workbook; nothing was imported');
        }
        throw e;
      }
      seen.clear();
      // Outcomes arrive per batch in file order; rejections found while reading are interleaved.
      result.acceptedRows?.sort((a, b) => a.row - b.row);
      result.warnings.sort((a, b) => a.row - b.row);
      result.rejected.sort((a, b) => a.row - b.row);
      if (dispatchedSeen) await checkDispatchedCap(tx, scope.projectId, scope.countyCode, asOf);
      await appendAudit(tx, { actor: actor.id, action: 'roster.imported', entityType: 'project', entityId: scope.projectId, projectId: scope.projectId, data: { accepted: result.accepted, rejected: result.rejected.length } });
      return result;
    }
  });
}
