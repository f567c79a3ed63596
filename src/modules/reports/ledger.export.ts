import { PassThrough } from 'node:stream';
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import type { PiiCipher } from '../../lib/crypto.js';
import { LedgerJsonWriter } from './ledger.json.js';
import { LedgerPdfWriter } from './ledger.pdf.js';
import { forEachLedgerPage, type LedgerQuery } from './ledger.query.js';
import { LedgerXlsxWriter } from './ledger.xlsx.js';

export const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
export type LedgerFormat = 'json' | 'xlsx' | 'pdf';

export function formatOf(accept: string | undefined, format?: LedgerFormat): LedgerFormat {
  if (format) return format;
  const a = accept ?? '';
  if (a.includes(XLSX)) return 'xlsx';
  if (a.includes('application/pdf')) return 'pdf';
  return 'json';
}

/** Resolve the default month range from the lines themselves. */
export async function ledgerRange(db: Db, projectId: string, from?: string, to?: string): Promise<{ from: string; to: string }> {
  if (from && to) return { from, to };
  const r = ((await db.execute(sql`SELECT min(month) AS lo, max(month) AS hi FROM payrolls WHERE project_id = ${projectId} AND status <> 'superseded'`)) as unknown as { rows: { lo: string | null; hi: string | null }[] }).rows[0];
  return { from: from ?? r?.lo ?? '0000-01', to: to ?? r?.hi ?? '0000-01' };
}

/**
 * Start writing the ledger into a stream and return it at once (the HTTP reply pipes it). The
 * cursor, the writer and the socket move together: each page waits for the output to drain.
 * A failure half-way destroys the stream (the client sees a cut response, never a wrong file).
 */
export function ledgerStream(db: Db, pii: PiiCipher, q: LedgerQuery, format: LedgerFormat, head: { projectName: string }): PassThrough {
  const out = new PassThrough({ highWaterMark: 256 * 1024 });
  const writer = format === 'xlsx' ? new LedgerXlsxWriter(out, head.projectName)
    : format === 'pdf' ? new LedgerPdfWriter(out, head.projectName)
      : new LedgerJsonWriter(out, { projectId: q.projectId, projectName: head.projectName, from: q.from, to: q.to, full: q.full });
  void (async () => {
    await forEachLedgerPage(db, pii, q, (rows) => writer.add(rows));
    await writer.end();
  })().catch((e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e))));
  return out;
}
