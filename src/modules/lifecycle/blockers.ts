import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { openComplaintCount } from '../complaints/complaints.service.js';
import { disputedLineCount } from '../workers-door/answers.service.js';
import type { Blocker } from './lifecycle.rules.js';

type Rows<T> = { rows: T[] };
const q = async <T>(db: DbOrTx, s: ReturnType<typeof sql>): Promise<T[]> => ((await db.execute(s)) as unknown as Rows<T>).rows;

/** At most this many blockers of each kind are listed (a count says how many more). */
const PER_KIND = 200;
// A line counts as paid when the money reached the card (overpaid and duplicate lines were paid too).
const PAID = `('paid', 'paid_late', 'overpaid', 'duplicate')`;

/**
 * The final settlement check (竣工结算): every engagement exited with a final wage line, every line
 * paid or excused by an inspector, no open arrears case. Each blocker names what to act on and its link.
 */
export async function completionBlockers(db: DbOrTx, projectId: string): Promise<Blocker[]> {
  const out: Blocker[] = [];
  const add = (list: Blocker[], total: number, kind: Blocker['kind'], link: string) => {
    out.push(...list);
    if (total > list.length) out.push({ kind, message: `…and ${total - list.length} more`, link });
  };

  const open = await q<{ id: string; worker_id: string; name: string; total: string }>(db, sql`
    SELECT e.id, e.worker_id, w.name, count(*) OVER () AS total FROM engagements e JOIN workers w ON w.id = e.worker_id
    WHERE e.project_id = ${projectId} AND e.exit_date IS NULL ORDER BY e.entry_date, e.id LIMIT ${PER_KIND}`);
  add(open.map((r) => ({ kind: 'engagement_open' as const, id: r.id, message: `${r.name} has no exit date`, link: `/v1/projects/${projectId}/workers/${r.worker_id}/exit` })),
    Number(open[0]?.total ?? 0), 'engagement_open', `/v1/projects/${projectId}/workers?active=true`);

  // 工资支付暂行规定 Art. 9: wages are settled on exit — a line for the exit month (or later).
  const noFinal = await q<{ id: string; worker_id: string; name: string; exit_date: string; total: string }>(db, sql`
    SELECT e.id, e.worker_id, w.name, e.exit_date::text, count(*) OVER () AS total FROM engagements e JOIN workers w ON w.id = e.worker_id
    WHERE e.project_id = ${projectId} AND e.exit_date IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM payroll_lines l JOIN payrolls p ON p.id = l.payroll_id AND p.status <> 'superseded'
        WHERE l.project_id = e.project_id AND l.worker_id = e.worker_id AND l.employer_id = e.employer_id AND l.month >= to_char(e.exit_date, 'YYYY-MM'))
    ORDER BY e.exit_date, e.id LIMIT ${PER_KIND}`);
  add(noFinal.map((r) => ({ kind: 'final_line_missing' as const, id: r.id, message: `${r.name} exited on ${r.exit_date} without a final wage line`, link: `/v1/projects/${projectId}/payrolls` })),
    Number(noFinal[0]?.total ?? 0), 'final_line_missing', `/v1/projects/${projectId}/payrolls`);

  const unpaid = await q<{ id: string; payroll_id: string; name: string; month: string; status: string; net_fen: string; total: string }>(db, sql`
    SELECT l.id, l.payroll_id, w.name, l.month, l.status, l.net_fen, count(*) OVER () AS total
    FROM payroll_lines l JOIN payrolls p ON p.id = l.payroll_id AND p.status <> 'superseded' JOIN workers w ON w.id = l.worker_id
    WHERE l.project_id = ${projectId} AND l.net_fen > 0 AND l.status NOT IN ${sql.raw(PAID)} AND l.excused_at IS NULL
    ORDER BY l.month, l.id LIMIT ${PER_KIND}`);
  add(unpaid.map((r) => ({ kind: 'line_unpaid' as const, id: r.id, message: `${r.month} ${r.name}: ${r.status} (${r.net_fen} fen); pay it or have an inspector excuse it`, link: `/v1/payrolls/${r.payroll_id}` })),
    Number(unpaid[0]?.total ?? 0), 'line_unpaid', `/v1/projects/${projectId}/payrolls`);

  const cases = await q<{ id: string; month: string; amount_outstanding_fen: string }>(db, sql`
    SELECT id, month, amount_outstanding_fen FROM arrears_cases WHERE project_id = ${projectId} AND status = 'open' ORDER BY month, id LIMIT ${PER_KIND}`);
  out.push(...cases.map((c) => ({ kind: 'case_open' as const, id: c.id, message: `arrears case for ${c.month} is open (${c.amount_outstanding_fen} fen outstanding)`, link: `/v1/cases/${c.id}` })));

  // The worker's door: a complaint nobody answered, or a payment a worker says did not reach them.
  const complaints = await openComplaintCount(db, projectId);
  if (complaints) out.push({ kind: 'complaint_unanswered', message: `${complaints} complaint(s) not yet answered by the county's inspectors`, link: `/v1/complaints?projectId=${projectId}` });
  const disputed = await disputedLineCount(db, projectId);
  if (disputed) out.push({ kind: 'line_disputed', message: `${disputed} wage line(s) disputed by the worker and not cleared by an inspector`, link: `/v1/projects/${projectId}/payrolls` });
  return out;
}
