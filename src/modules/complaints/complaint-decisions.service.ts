import { sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.js';
import type { Deps } from '../../deps.js';
import { EVENTS } from '../../jobs/event-types.js';
import { chinaToday } from '../../lib/calendar.js';
import { sha256Hex } from '../../lib/crypto.js';
import { ConflictError, ForbiddenError, NotFoundError, UnprocessableError } from '../../lib/errors.js';
import { idFromKey, newId } from '../../lib/ids.js';
import { emit } from '../alerts/outbox.service.js';
import { appendAudit } from '../audit/audit.service.js';
import type { Principal } from '../auth/auth.types.js';
import { dispatchSms, requestSms } from '../notify/sms.service.js';
import { getCalendar } from '../policy/policy.service.js';
import { countyName } from '../../lib/county-names.js';
import { decisionAllowed, overdueToday, STATUS_AFTER, type Decision } from './complaints.rules.js';

type Rows<T> = { rows: T[] };

/**
 * An inspector's decision, always with a reply the complainant reads on their page and by SMS. `merge`
 * moves the complaint onto another case of the same county; `resolve` closes a case the complaint
 * itself opened (cases from wage lines close on the ladder, when the workers are paid).
 */
export async function decideComplaint(deps: Pick<Deps, 'db' | 'pii' | 'queues'>, p: Principal, id: string, input: { action: Decision; caseId?: string; reply: string }, now: Date) {
  const asOf = chinaToday(now);
  const out = await deps.db.transaction(async (tx) => {
    const r = (await tx.execute(sql`SELECT id, ref, project_id, county_code, status, case_id, complainant_phone_enc FROM complaints WHERE id = ${id} FOR UPDATE`)) as unknown as Rows<{ id: string; ref: string; project_id: string; county_code: string; status: string; case_id: string | null; complainant_phone_enc: string | null }>;
    const c = r.rows[0];
    if (!c || (p.role === 'inspector' && !p.countyCodes.includes(c.county_code))) throw new NotFoundError('Complaint');
    if (!decisionAllowed(c.status, input.action)) throw new ConflictError(`A ${c.status} complaint cannot be ${STATUS_AFTER[input.action]}`, 'complaint_state');
    let caseId = c.case_id;
    if (input.action === 'merge') {
      if (!input.caseId) throw new UnprocessableError('Merge needs the case', [{ path: 'body.caseId', message: 'required for merge' }]);
      const k = (await tx.execute(sql`SELECT id, county_code FROM arrears_cases WHERE id = ${input.caseId}`)) as unknown as Rows<{ id: string; county_code: string }>;
      if (!k.rows[0] || k.rows[0].county_code !== c.county_code) throw new UnprocessableError('No such case in this county', [{ path: 'body.caseId', message: 'unknown case' }]);
      caseId = input.caseId;
    }
    if (input.action === 'resolve' && c.case_id) {
      const closed = (await tx.execute(sql`
        UPDATE arrears_cases SET status = 'closed', stage = 'closed', closed_on = ${asOf}, stage_deadline = NULL
        WHERE id = ${c.case_id} AND origin = 'complaint' AND status = 'open'
          AND NOT EXISTS (SELECT 1 FROM complaints x WHERE x.case_id = ${c.case_id} AND x.id <> ${id} AND x.status IN ('received', 'accepted'))
        RETURNING id, project_id, employer_id, county_code`)) as unknown as Rows<{ id: string; project_id: string; employer_id: string; county_code: string }>;
      const k = closed.rows[0];
      if (k) await emit(tx, { id: idFromKey(`case.closed:${k.id}`), type: EVENTS.caseClosed, projectId: k.project_id, companyId: k.employer_id, countyCode: k.county_code, payload: { caseId: k.id, origin: 'complaint', asOf } });
    }
    const status = STATUS_AFTER[input.action];
    await tx.execute(sql`
      UPDATE complaints SET status = ${status}, case_id = ${caseId}, answered_at = COALESCE(answered_at, ${now.toISOString()}) WHERE id = ${id}`);
    const decisionId = newId();
    await tx.execute(sql`
      INSERT INTO complaint_decisions (id, complaint_id, project_id, action, reply, case_id, actor, created_at)
      VALUES (${decisionId}, ${id}, ${c.project_id}, ${input.action}, ${input.reply}, ${caseId}, ${p.id}, ${now.toISOString()})`);
    await appendAudit(tx, { actor: p.id, action: `complaint.${input.action}`, entityType: 'complaint', entityId: id, projectId: c.project_id, data: { caseId }, at: now });
    const smsId = c.complainant_phone_enc
      ? await requestSms(tx, deps.pii, { eventKey: `complaint-reply:${decisionId}`, phone: deps.pii.decrypt(c.complainant_phone_enc), template: 'complaint_reply', params: { ref: c.ref, reply: input.reply.slice(0, 200) }, projectId: c.project_id })
      : null;
    return { decisionId, status, caseId, smsId };
  });
  await dispatchSms(deps, [out.smsId]);
  return { id: out.decisionId, complaintId: id, action: input.action, status: out.status, caseId: out.caseId };
}

/** One overdue alert per unanswered complaint per working day after its due date (idempotent per day). */
export async function sweepOverdueComplaints(db: Db, asOf: string): Promise<number> {
  const r = (await db.execute(sql`
    SELECT id, ref, project_id, county_code, employer_id, due_on::text, severity FROM complaints WHERE status = 'received' AND due_on < ${asOf}::date
    ORDER BY county_code, id`)) as unknown as Rows<{ id: string; ref: string; project_id: string; county_code: string; employer_id: string | null; due_on: string; severity: string }>;
  const cals = new Map<string, Awaited<ReturnType<typeof getCalendar>>>();
  let n = 0;
  for (const c of r.rows) {
    if (!cals.has(c.county_code)) cals.set(c.county_code, await getCalendar(db, c.county_code));
    if (!overdueToday(c.due_on, asOf, cals.get(c.county_code)!)) continue;
    await emit(db, {
      id: idFromKey(`complaint.overdue:${c.id}:${asOf}`), type: EVENTS.complaintOverdue, projectId: c.project_id, companyId: null, countyCode: c.county_code,
      payload: { complaintId: c.id, ref: c.ref, dueOn: c.due_on, asOf, severity: c.severity },
    });
    n++;
  }
  return n;
}

export interface ComplaintFilter { countyCode?: string; status?: string; limit?: number; cursor?: string }

/**
 * Inspectors' queue (with the complainant's identity; never served to any other role): overdue first,
 * then by due date. Each full read of an identity is audited.
 */
export async function listComplaints(db: DbOrTx, deps: Pick<Deps, 'pii'>, p: Principal, f: ComplaintFilter, now: Date) {
  if (p.role !== 'inspector' && p.role !== 'admin') throw new ForbiddenError('Only inspectors see complaints');
  const today = chinaToday(now);
  const counties = p.role === 'inspector' ? p.countyCodes : null;
  if (f.countyCode && counties && !counties.includes(f.countyCode)) return { items: [], nextCursor: null };
  const limit = f.limit ?? 100;
  const offset = f.cursor && /^\d{1,9}$/.test(f.cursor) ? Number(f.cursor) : 0;
  const r = (await db.execute(sql`
    SELECT c.*, c.due_on::text AS due, c.received_on::text AS received, p.name AS project_name, e.name AS employer_legal_name,
      (c.status = 'received' AND c.due_on < ${today}::date) AS overdue
    FROM complaints c JOIN projects p ON p.id = c.project_id LEFT JOIN companies e ON e.id = c.employer_id
    WHERE TRUE ${counties ? sql`AND c.county_code = ANY(${`{${counties.join(',')}}`}::text[])` : sql``}
      ${f.countyCode ? sql`AND c.county_code = ${f.countyCode}` : sql``} ${f.status ? sql`AND c.status = ${f.status}` : sql``}
    ORDER BY (c.status = 'received' AND c.due_on < ${today}::date) DESC, (c.status = 'received') DESC, c.due_on, c.id
    LIMIT ${limit + 1} OFFSET ${offset}`)) as unknown as Rows<Record<string, unknown>>;
  const rows = r.rows.slice(0, limit);
  if (rows.length) await appendAudit(db, { actor: p.id, action: 'complaint.identity_read', entityType: 'complaint', data: { ids: rows.map((x) => x.id) }, at: now });
  return {
    items: rows.map((x) => ({
      id: x.id as string, ref: x.ref as string, projectId: x.project_id as string, projectName: x.project_name as string, countyCode: x.county_code as string,
      countyName: countyName(x.county_code as string), employerName: (x.employer_name as string | null) ?? null, employerId: (x.employer_id as string | null) ?? null,
      months: x.months as string[], amountClaimedFen: Number(x.amount_claimed_fen), workersAffected: x.workers_affected as number, description: x.description as string,
      channel: x.channel as string, severity: x.severity as string, status: x.status as string, caseId: (x.case_id as string | null) ?? null,
      receivedOn: x.received as string, dueOn: x.due as string, overdue: x.overdue as boolean,
      answeredAt: x.answered_at ? new Date(x.answered_at as string).toISOString() : null,
      complainantName: x.complainant_name_enc ? deps.pii.decrypt(x.complainant_name_enc as string) : null,
      complainantPhoneMasked: (x.complainant_phone_masked as string | null) ?? null,
    })),
    nextCursor: r.rows.length > limit ? String(offset + limit) : null,
  };
}

/** The complainant's own complaints: a worker's, or those of the phone behind a public complaint's token. */
export async function myComplaints(db: DbOrTx, who: { workerId?: string; phoneBidx?: string; token?: string }) {
  let where;
  // A worker's session reads the complaints it filed under the phone it signed in with (worker door).
  if (who.workerId) where = sql`c.worker_id = ${who.workerId} AND c.complainant_phone_bidx = ${who.phoneBidx ?? ''}`;
  else if (who.token && /^wgc_[\w-]{20,60}$/.test(who.token)) {
    where = sql`c.complainant_phone_bidx = (SELECT complainant_phone_bidx FROM complaints WHERE token_hash = ${sha256Hex(who.token)})`;
  } else throw new ForbiddenError('Sign in, or give the token of your complaint');
  const r = (await db.execute(sql`
    SELECT c.id, c.ref, c.project_id, p.name AS project_name, c.months, c.amount_claimed_fen, c.workers_affected, c.status, c.received_on::text, c.due_on::text,
      COALESCE((SELECT json_agg(json_build_object('action', d.action, 'reply', d.reply, 'at', d.created_at) ORDER BY d.created_at, d.id) FROM complaint_decisions d WHERE d.complaint_id = c.id), '[]') AS replies
    FROM complaints c JOIN projects p ON p.id = c.project_id WHERE ${where} ORDER BY c.created_at DESC, c.id DESC LIMIT 200`)) as unknown as Rows<{ id: string; ref: string; project_id: string; project_name: string; months: string[]; amount_claimed_fen: string; workers_affected: number; status: string; received_on: string; due_on: string; replies: { action: string; reply: string; at: string }[] }>;
  return {
    items: r.rows.map((x) => ({
      id: x.id, ref: x.ref, projectId: x.project_id, projectName: x.project_name, months: x.months, amountClaimedFen: Number(x.amount_claimed_fen),
      workersAffected: x.workers_affected, status: x.status, receivedOn: x.received_on, dueOn: x.due_on,
      replies: x.replies.map((d) => ({ action: d.action, reply: d.reply, at: new Date(d.at).toISOString() })),
    })),
  };
}

/** Public project search for complainants: live projects by name within a county; names only. */
export async function searchProjects(db: DbOrTx, q: { countyCode?: string; q?: string }) {
  const term = (q.q ?? '').trim();
  if (!q.countyCode && term.length < 2) throw new UnprocessableError('Give a county or at least 2 characters of the name', [{ path: 'querystring.q', message: 'too short' }]);
  const like = '%' + term.replace(/[\\%_]/g, (m) => '\\' + m) + '%';
  const r = (await db.execute(sql`
    SELECT id, name, county_code FROM projects
    WHERE status IN ('active', 'completing') ${q.countyCode ? sql`AND county_code = ${q.countyCode}` : sql``} ${term ? sql`AND name ILIKE ${like}` : sql``}
    ORDER BY name, id LIMIT 20`)) as unknown as Rows<{ id: string; name: string; county_code: string }>;
  return { items: r.rows.map((x) => ({ projectId: x.id, projectName: x.name, countyCode: x.county_code, countyName: countyName(x.county_code) })) };
}
