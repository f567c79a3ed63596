import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import type { Deps } from '../../deps.js';
import { EVENTS } from '../../jobs/event-types.js';
import { chinaToday } from '../../lib/calendar.js';
import { randomToken, sha256Hex } from '../../lib/crypto.js';
import { ForbiddenError, NotFoundError, UnauthorizedError, UnprocessableError } from '../../lib/errors.js';
import { maskPhone } from '../../lib/identifiers.js';
import { newId } from '../../lib/ids.js';
import { emit } from '../alerts/outbox.service.js';
import { appendAudit } from '../audit/audit.service.js';
import type { Principal } from '../auth/auth.types.js';
import { dispatchSms, requestSms } from '../notify/sms.service.js';
import { getCalendar, getPolicy } from '../policy/policy.service.js';
import { phonesOnFile } from '../workers-door/worker-auth.service.js';
import { attachOrOpenCase } from './complaint-cases.js';
import { complainantPhone, countWrongCode, useComplaintCode } from './complaint-codes.service.js';
import { answerDueOn, complaintRef, complaintSeverity, INSPECTOR_CHANNELS, sameCompanyName, type Channel } from './complaints.rules.js';

type Rows<T> = { rows: T[] };

export interface ComplaintInput {
  projectId: string; employerName?: string; months: string[]; amountClaimedFen: number; workersAffected: number; description: string;
  complainantName?: string; complainantPhone?: string; channel?: Channel; phone?: string; code?: string;
}

/**
 * File a complaint. Who files decides the channel and the identity: a public complainant proves their
 * phone with a code and gets a token to read their complaints later; a signed-in worker is the
 * complainant; an inspector (or admin) registers one received by 12333, in person or from the national
 * platform. One transaction: complaint, case (attached or opened), alert event, audit; SMS after commit.
 */
export async function fileComplaint(deps: Pick<Deps, 'db' | 'pii' | 'queues'>, p: Principal | null, input: ComplaintInput, now: Date) {
  const receivedOn = chinaToday(now);
  let channel: Channel;
  let phone: { phone: string; bidx: string } | null = null;
  let workerId: string | null = null;
  let name = input.complainantName ?? null;
  if (!p) {
    if (!input.phone || !input.code) throw new UnauthorizedError('A verified phone (phone and code) is required');
    if (input.channel && input.channel !== 'web') throw new ForbiddenError('Only inspectors register complaints from other channels');
    phone = complainantPhone(deps, input.phone);
    channel = 'web';
  } else if (p.role === 'worker') {
    workerId = p.workerId!;
    // The complainant's phone is the one this session signed in with (replies go there, and "my
    // complaints" are read by it), not whichever phone an employer put on file first.
    const ph = (await phonesOnFile(deps.db, deps, workerId)).map((x) => complainantPhone(deps, x)).find((x) => x.bidx === p.phoneBidx);
    phone = ph ?? null;
    const w = (await deps.db.execute(sql`SELECT name FROM workers WHERE id = ${workerId}`)) as unknown as Rows<{ name: string }>;
    name = name ?? w.rows[0]?.name ?? null;
    channel = 'worker';
  } else if (p.role === 'inspector' || p.role === 'admin') {
    if (!input.channel || !INSPECTOR_CHANNELS.includes(input.channel)) {
      throw new UnprocessableError('Say where the complaint came from', [{ path: 'body.channel', message: `one of ${INSPECTOR_CHANNELS.join(', ')}` }]);
    }
    channel = input.channel;
    phone = input.complainantPhone ? complainantPhone(deps, input.complainantPhone, 'body.complainantPhone') : null;
  } else {
    throw new ForbiddenError('Contractors and banks do not file complaints');
  }

  const proj = (await deps.db.execute(sql`
    SELECT p.id, p.county_code, p.name, p.general_contractor_id FROM projects p WHERE p.id = ${input.projectId}`)) as unknown as Rows<{ id: string; county_code: string; name: string; general_contractor_id: string }>;
  const project = proj.rows[0];
  // An inspector registers complaints for their own counties only; to anyone else an unknown project is a 404.
  if (!project || (p?.role === 'inspector' && !p.countyCodes.includes(project.county_code))) throw new NotFoundError('Project');
  const [policy, cal] = await Promise.all([getPolicy(deps.db, project.county_code, receivedOn), getCalendar(deps.db, project.county_code)]);
  const severity = complaintSeverity(input.workersAffected, input.amountClaimedFen, policy.complaints);
  const dueOn = answerDueOn(receivedOn, policy.complaints, cal);
  const token = p ? null : 'wgc_' + randomToken(24);

  let out;
  try {
    out = await deps.db.transaction(async (tx) => {
      if (!p) await useComplaintCode(tx, phone!.bidx, input.code!, now);
      let employerId: string | null = null;
      if (input.employerName) {
        const parties = (await tx.execute(sql`
          SELECT c.id, c.name FROM companies c WHERE c.id = ${project.general_contractor_id}
             OR c.id IN (SELECT subcontractor_id FROM subcontracts WHERE project_id = ${project.id})`)) as unknown as Rows<{ id: string; name: string }>;
        employerId = parties.rows.find((c) => sameCompanyName(c.name, input.employerName!))?.id ?? null;
      }
      const c = await attachOrOpenCase(tx, { projectId: project.id, employerId, months: input.months, workers: input.workersAffected, amountFen: input.amountClaimedFen, receivedOn }, policy, cal);
      const id = newId();
      const ref = complaintRef(receivedOn, id);
      await tx.execute(sql`
        INSERT INTO complaints (id, ref, project_id, county_code, employer_id, employer_name, months, amount_claimed_fen, workers_affected, description,
          channel, severity, complainant_name_enc, complainant_phone_enc, complainant_phone_bidx, complainant_phone_masked, worker_id, token_hash,
          case_id, due_on, received_on, created_by, created_at)
        VALUES (${id}, ${ref}, ${project.id}, ${project.county_code}, ${employerId}, ${input.employerName ?? null}, ${`{${input.months.join(',')}}`}::text[],
          ${input.amountClaimedFen}, ${input.workersAffected}, ${input.description}, ${channel}, ${severity},
          ${name ? deps.pii.encrypt(name) : null}, ${phone ? deps.pii.encrypt(phone.phone) : null}, ${phone?.bidx ?? null}, ${phone ? maskPhone(phone.phone) : null},
          ${workerId}, ${token ? sha256Hex(token) : null}, ${c.caseId}, ${dueOn}, ${receivedOn}, ${p?.id ?? 'public'}, ${now.toISOString()})`);
      // The alert names the project and the claim, never the complainant.
      await emit(tx, {
        id, type: EVENTS.complaintReceived, projectId: project.id, companyId: employerId, countyCode: project.county_code,
        payload: { complaintId: id, ref, severity, workersAffected: input.workersAffected, amountClaimedFen: input.amountClaimedFen, amountYuan: (input.amountClaimedFen / 100).toFixed(2), caseId: c.caseId, caseOpened: c.opened, channel, dueOn },
      });
      await appendAudit(tx, { actor: p?.id ?? 'public', action: 'complaint.file', entityType: 'complaint', entityId: id, projectId: project.id, data: { channel, caseId: c.caseId, caseOpened: c.opened }, at: now });
      const smsId = phone ? await requestSms(tx, deps.pii, { eventKey: `complaint-received:${id}`, phone: phone.phone, template: 'complaint_received', params: { ref, days: String(policy.complaints.answerWorkingDays) }, projectId: project.id }) : null;
      return { id, ref, caseId: c.caseId, dueOn, smsId };
    });
  } catch (e) {
    const codeId = (e as { codeId?: string }).codeId;
    if (codeId) await countWrongCode(deps.db, codeId);
    throw e;
  }
  await dispatchSms(deps, [out.smsId]);
  return { id: out.id, ref: out.ref, status: 'received' as const, caseId: out.caseId, dueOn: out.dueOn, ...(token ? { token } : {}) };
}

/** Unanswered complaints of a project (#19 deposit return, #20 completion blockers use it at merge). */
export async function openComplaintCount(db: DbOrTx, projectId: string): Promise<number> {
  const r = (await db.execute(sql`SELECT count(*)::int AS n FROM complaints WHERE project_id = ${projectId} AND status = 'received'`)) as unknown as Rows<{ n: number }>;
  return r.rows[0]?.n ?? 0;
}
