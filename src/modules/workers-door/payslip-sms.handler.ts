import { sql } from 'drizzle-orm';
import type { Deps } from '../../deps.js';
import type { EventHandler } from '../../jobs/event-handlers.js';
import { EVENTS } from '../../jobs/event-types.js';
import { sendSmsNow } from '../notify/sms.service.js';
import { dayText, monthText, yuanText } from '../notify/sms.rules.js';
import { REASON_TEXT } from './payslips.service.js';
import { linePhone } from './worker-auth.service.js';

const TEMPLATE: Record<string, 'payslip_paid' | 'payslip_rejected' | 'payslip_missing'> = {
  paid: 'payslip_paid', paid_late: 'payslip_paid', rejected: 'payslip_rejected', missing: 'payslip_missing',
};

/**
 * The worker's SMS when their payment settles, is rejected or goes missing. One message per line and
 * outcome (event key `payslip:<line>:<status>`), so a re-delivered event or a reconciliation re-run
 * that reports the same outcome again texts nobody twice.
 */
export const payslipSmsHandler: EventHandler = {
  name: 'payslip-sms',
  types: [EVENTS.lineStatusChanged],
  async handle(deps: Deps, event) {
    const to = String(event.payload.to ?? '');
    const lineId = String(event.payload.lineId ?? '');
    const template = TEMPLATE[to];
    if (!template || !/^[0-9a-f-]{36}$/i.test(lineId)) return;
    const r = (await deps.db.execute(sql`
      SELECT l.worker_id, l.project_id, l.employer_id, l.month, l.net_fen, l.paid_fen, l.paid_on::text, l.reason_code, p.name AS project_name,
        (SELECT card_masked FROM instructions WHERE payroll_line_id = l.id ORDER BY updated_at DESC LIMIT 1) AS card_masked
      FROM payroll_lines l JOIN projects p ON p.id = l.project_id WHERE l.id = ${lineId}`)) as unknown as {
      rows: { worker_id: string; project_id: string; employer_id: string; month: string; net_fen: string; paid_fen: string; paid_on: string | null; reason_code: string | null; project_name: string; card_masked: string | null }[];
    };
    const l = r.rows[0];
    if (!l) return;
    const phone = await linePhone(deps.db, deps, { workerId: l.worker_id, projectId: l.project_id, employerId: l.employer_id });
    if (!phone) return;
    const amount = template === 'payslip_paid' ? Number(l.paid_fen) : Number(l.net_fen);
    const reason = l.reason_code ?? String(event.payload.reasonCode ?? '');
    await sendSmsNow(deps, {
      // Paid and paid-late are one business event (the money arrived), also for notifySettledLines below.
      eventKey: `payslip:${lineId}:${template === 'payslip_paid' ? 'settled' : to}`, phone, template, projectId: l.project_id,
      params: {
        project: l.project_name, monthText: monthText(l.month), amount: yuanText(amount), dateText: l.paid_on ? dayText(l.paid_on) : '',
        last4: (l.card_masked ?? '').slice(-4), reason: REASON_TEXT[reason]?.zh ?? reason,
      },
    });
  },
};

/**
 * Settled lines on the routine path (pending → paid) emit no outbox event (by design: that is most of the
 * volume), so settle notices are found by query after a reconciliation run: lines paid in the last
 * `sinceDays` whose settle message does not exist yet, in pages. Re-running finds nothing new.
 */
export async function notifySettledLines(deps: Pick<Deps, 'db' | 'pii' | 'queues'>, f: { batchId?: string; projectId?: string; asOf: string; sinceDays?: number }): Promise<number> {
  let sent = 0;
  for (let page = 0; page < 1000; page++) {
    const r = (await deps.db.execute(sql`
      SELECT l.id, l.worker_id, l.project_id, l.employer_id, l.month, l.paid_fen, l.paid_on::text, p.name AS project_name, i.card_masked
      FROM payroll_lines l JOIN projects p ON p.id = l.project_id
      LEFT JOIN LATERAL (SELECT card_masked, batch_id FROM instructions WHERE payroll_line_id = l.id ORDER BY updated_at DESC LIMIT 1) i ON true
      WHERE l.status IN ('paid', 'paid_late') AND l.paid_on >= ${f.asOf}::date - ${f.sinceDays ?? 31}::int
        ${f.batchId ? sql`AND i.batch_id = ${f.batchId}` : sql``} ${f.projectId ? sql`AND l.project_id = ${f.projectId}` : sql``}
        AND NOT EXISTS (SELECT 1 FROM sms_messages m WHERE m.event_key = 'payslip:' || l.id || ':settled')
        AND NOT EXISTS (SELECT 1 FROM payslip_sms_skips k WHERE k.line_id = l.id)
      ORDER BY l.id LIMIT 500`)) as unknown as { rows: { id: string; worker_id: string; project_id: string; employer_id: string; month: string; paid_fen: string; paid_on: string; project_name: string; card_masked: string | null }[] };
    if (r.rows.length === 0) break;
    for (const l of r.rows) {
      const phone = await linePhone(deps.db, deps, { workerId: l.worker_id, projectId: l.project_id, employerId: l.employer_id });
      if (!phone) {
        await deps.db.execute(sql`INSERT INTO payslip_sms_skips (line_id) VALUES (${l.id}) ON CONFLICT DO NOTHING`);
        continue;
      }
      const id = await sendSmsNow(deps, {
        eventKey: `payslip:${l.id}:settled`, phone, template: 'payslip_paid', projectId: l.project_id,
        params: { project: l.project_name, monthText: monthText(l.month), amount: yuanText(Number(l.paid_fen)), dateText: dayText(l.paid_on), last4: (l.card_masked ?? '').slice(-4) },
      });
      if (id) sent++;
    }
  }
  return sent;
}
