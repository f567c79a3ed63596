/** Monthly attendance: replaceable until that month's wage sheet of the employer is approved. */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { ConflictError, UnprocessableError, type FieldError } from '../../lib/errors.js';
import { appendAudit } from '../audit/audit.service.js';
import type { Principal } from '../auth/auth.types.js';
import type { ProjectScope } from '../auth/scope.js';

type Rows<T> = { rows: T[] };
const p = (v: unknown[]) => sql.param(v);

export interface AttendanceInput { month: string; entries: { workerId: string; daysPresent: number }[] }

const monthEnd = (m: string) => {
  const [y, mo] = m.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, mo, 0)).toISOString().slice(0, 10);
};

/**
 * Replace the listed workers' days for the month. Every worker must have an engagement overlapping
 * the month (and, for a subcontractor, be its own employee); otherwise 422 and nothing is stored.
 */
export async function recordAttendance(tx: DbOrTx, actor: Principal, scope: ProjectScope, onlyEmployer: string | null, input: AttendanceInput) {
  const first = `${input.month}-01`;
  const last = monthEnd(input.month);
  const days = Number(last.slice(8));
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  input.entries.forEach((e, i) => {
    if (e.daysPresent > days) errors.push({ path: `body.entries[${i}].daysPresent`, message: `at most ${days} days in ${input.month}` });
    if (seen.has(e.workerId)) errors.push({ path: `body.entries[${i}].workerId`, message: 'listed twice' });
    seen.add(e.workerId);
  });
  const ids = input.entries.map((e) => e.workerId);
  // The engagement overlapping the month gives the employer; a worker engaged twice in a month takes the latest.
  const eng = (await tx.execute(sql`
    SELECT DISTINCT ON (e.worker_id) e.worker_id, e.employer_id FROM engagements e
    WHERE e.project_id = ${scope.projectId} AND e.worker_id = ANY(${p(ids)}::uuid[])
      AND e.entry_date <= ${last}::date AND (e.exit_date IS NULL OR e.exit_date >= ${first}::date)
      AND (${onlyEmployer}::uuid IS NULL OR e.employer_id = ${onlyEmployer}::uuid)
    ORDER BY e.worker_id, e.entry_date DESC`)) as unknown as Rows<{ worker_id: string; employer_id: string }>;
  const employerOf = new Map(eng.rows.map((r) => [r.worker_id, r.employer_id]));
  input.entries.forEach((e, i) => {
    if (!employerOf.has(e.workerId)) errors.push({ path: `body.entries[${i}].workerId`, message: `not engaged on this project in ${input.month}` });
  });
  if (errors.length) throw new UnprocessableError('Attendance rejected', errors, 'invalid_attendance');

  const employers = [...new Set(employerOf.values())];
  const locked = (await tx.execute(sql`
    SELECT employer_id FROM payrolls WHERE project_id = ${scope.projectId} AND month = ${input.month} AND status = 'approved'
      AND employer_id = ANY(${p(employers)}::uuid[])`)) as unknown as Rows<{ employer_id: string }>;
  if (locked.rows.length) {
    const bad = new Set(locked.rows.map((r) => r.employer_id));
    throw new ConflictError(`The ${input.month} wage sheet is already approved; attendance can no longer change`, 'attendance_locked',
      input.entries.flatMap((e, i) => (bad.has(employerOf.get(e.workerId)!) ? [{ path: `body.entries[${i}].workerId`, message: 'wage sheet approved' }] : [])));
  }
  await tx.execute(sql`
    INSERT INTO attendance (project_id, month, worker_id, employer_id, days_present)
    SELECT ${scope.projectId}::uuid, ${input.month}, w, emp, d
    FROM unnest(${p(ids)}::uuid[], ${p(ids.map((id) => employerOf.get(id)!))}::uuid[], ${p(input.entries.map((e) => e.daysPresent))}::int[]) AS u(w, emp, d)
    ON CONFLICT (project_id, month, worker_id) DO UPDATE SET days_present = EXCLUDED.days_present, employer_id = EXCLUDED.employer_id, updated_at = now()`);
  await appendAudit(tx, { actor: actor.id, action: 'attendance.recorded', entityType: 'attendance', entityId: null, projectId: scope.projectId, data: { month: input.month, entries: input.entries.length } });
  return { projectId: scope.projectId, month: input.month, recorded: input.entries.length };
}

export async function getAttendance(db: DbOrTx, projectId: string, month: string, onlyEmployer: string | null) {
  const r = (await db.execute(sql`
    SELECT worker_id, employer_id, days_present FROM attendance WHERE project_id = ${projectId} AND month = ${month}
      AND (${onlyEmployer}::uuid IS NULL OR employer_id = ${onlyEmployer}::uuid) ORDER BY worker_id`)) as unknown as Rows<{ worker_id: string; employer_id: string; days_present: number }>;
  return { month, entries: r.rows.map((x) => ({ workerId: x.worker_id, employerId: x.employer_id, daysPresent: x.days_present })) };
}
