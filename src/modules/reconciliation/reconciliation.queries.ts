import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { addMonths } from '../../lib/calendar.js';
import { NotFoundError } from '../../lib/errors.js';
import { LINE_STATUSES } from './reconciliation.rules.js';

type Rows<T> = { rows: T[] };
const rowsOf = async <T>(p: Promise<unknown>): Promise<T[]> => ((await p) as Rows<T>).rows;
const num = (v: unknown): number => Number(v ?? 0);

/**
 * Project-month summary: lines, net and paid amounts per status (every status listed, zeros
 * included), and the project's orphan bank records whose value date falls in the wage month or
 * the month after it (when that month's wages are paid).
 */
export async function projectMonthSummary(db: DbOrTx, projectId: string, month: string, orphanLimit = 100,
  only: { employerId?: string | null; orphans?: boolean } = {}) {
  // employerId undefined: every employer's lines; null: nobody's; a company: that employer's only.
  const employer = only.employerId === undefined ? sql`` : sql`AND pl.employer_id = ${only.employerId ?? '00000000-0000-0000-0000-000000000000'}::uuid`;
  const per = await rowsOf<{ status: string; lines: string; net_fen: string; paid_fen: string }>(db.execute(sql`
    SELECT pl.status, count(*) AS lines, sum(pl.net_fen) AS net_fen, sum(pl.paid_fen) AS paid_fen
    FROM payroll_lines pl JOIN payrolls p ON p.id = pl.payroll_id AND p.status <> 'superseded'
    WHERE pl.project_id = ${projectId} AND pl.month = ${month} ${employer} GROUP BY pl.status`));
  const by = new Map(per.map((r) => [r.status, r]));
  const statuses = LINE_STATUSES.map((st) => {
    const r = by.get(st);
    return { status: st, lines: num(r?.lines), netFen: num(r?.net_fen), paidFen: num(r?.paid_fen) };
  });
  const totals = statuses.reduce((a, x) => ({ lines: a.lines + x.lines, netFen: a.netFen + x.netFen, paidFen: a.paidFen + x.paidFen }), { lines: 0, netFen: 0, paidFen: 0 });
  const from = `${month}-01`;
  const to = `${addMonths(month, 2)}-01`;
  const showOrphans = only.orphans ?? true;
  const orphanCount = !showOrphans ? [] : await rowsOf<{ n: string; amount: string }>(db.execute(sql`
    SELECT count(*) AS n, coalesce(sum(amount_fen), 0) AS amount FROM recon_orphans
    WHERE project_id = ${projectId} AND value_date >= ${from}::date AND value_date < ${to}::date`));
  const orphans = !showOrphans ? [] : await rowsOf<Record<string, unknown>>(db.execute(sql`
    SELECT bank_record_id, end_to_end_id, kind, status, reason_code, amount_fen, value_date::text AS value_date, detected_as_of::text AS detected_as_of
    FROM recon_orphans WHERE project_id = ${projectId} AND value_date >= ${from}::date AND value_date < ${to}::date
    ORDER BY value_date, bank_record_id LIMIT ${orphanLimit}`));
  return {
    projectId, month, statuses, totals,
    orphans: {
      count: num(orphanCount[0]?.n), amountFen: num(orphanCount[0]?.amount),
      items: orphans.map((o) => ({
        bankRecordId: o.bank_record_id as string, endToEndId: (o.end_to_end_id as string | null) ?? null, kind: o.kind as string,
        status: (o.status as string | null) ?? null, reasonCode: (o.reason_code as string | null) ?? null, amountFen: num(o.amount_fen),
        valueDate: o.value_date as string, detectedAsOf: o.detected_as_of as string,
      })),
    },
  };
}

export async function payrollProject(db: DbOrTx, payrollId: string): Promise<{ projectId: string; month: string; status: string; employerId: string }> {
  const r = await rowsOf<{ project_id: string; month: string; status: string; employer_id: string }>(db.execute(sql`SELECT project_id, month, status, employer_id FROM payrolls WHERE id = ${payrollId}`));
  if (!r[0]) throw new NotFoundError('Payroll');
  return { projectId: r[0].project_id, month: r[0].month, status: r[0].status, employerId: r[0].employer_id };
}

/** Per-line status and full history of one payroll, a page of lines at a time (ordered by line id). */
export async function payrollReconciliation(db: DbOrTx, payrollId: string, limit: number, after: string | null) {
  const lines = await rowsOf<Record<string, unknown>>(db.execute(sql`
    SELECT id, worker_id, net_fen, status, paid_fen, paid_on::text AS paid_on, reason_code, inferred, paid_by, recon_version
    FROM payroll_lines WHERE payroll_id = ${payrollId} ${after ? sql`AND id > ${after}` : sql``}
    ORDER BY id LIMIT ${limit + 1}`));
  const page = lines.slice(0, limit);
  const ids = page.map((l) => l.id as string);
  const hist = ids.length === 0 ? [] : await rowsOf<Record<string, unknown>>(db.execute(sql`
    SELECT line_id, version, from_status, to_status, reason, reason_code, paid_fen, paid_on::text AS paid_on, inferred, paid_by,
      bank_record_ids, as_of::text AS as_of, at
    FROM recon_line_history_all WHERE payroll_id = ${payrollId} AND line_id = ANY(${sql.param(ids)}::uuid[]) ORDER BY line_id, version`));
  const byLine = new Map<string, unknown[]>();
  for (const h of hist) {
    const list = byLine.get(h.line_id as string) ?? [];
    list.push({
      version: h.version as number, from: h.from_status as string, to: h.to_status as string, reason: h.reason as string,
      reasonCode: (h.reason_code as string | null) ?? null, paidFen: num(h.paid_fen), paidOn: (h.paid_on as string | null) ?? null,
      inferred: h.inferred as boolean, paidBy: (h.paid_by as string | null) ?? null, bankRecordIds: h.bank_record_ids as string[],
      asOf: h.as_of as string, at: new Date(h.at as string).toISOString(),
    });
    byLine.set(h.line_id as string, list);
  }
  return {
    lines: page.map((l) => ({
      id: l.id as string, workerId: l.worker_id as string, netFen: num(l.net_fen), status: l.status as string, paidFen: num(l.paid_fen),
      paidOn: (l.paid_on as string | null) ?? null, reasonCode: (l.reason_code as string | null) ?? null, inferred: l.inferred as boolean,
      paidBy: (l.paid_by as string | null) ?? null, reconVersion: l.recon_version as number, history: byLine.get(l.id as string) ?? [],
    })),
    nextCursor: lines.length > limit ? (page[page.length - 1]!.id as string) : null,
  };
}
