import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayedEvent } from '../../src/jobs/event-handlers.js';
import { reconcileBatch } from '../../src/modules/reconciliation/reconciliation.service.js';
import { disputedLineCount } from '../../src/modules/workers-door/answers.service.js';
import { notifySettledLines, payslipSmsHandler } from '../../src/modules/workers-door/payslip-sms.handler.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { all, fundWage, instructionsOf, NET, one, sendWebhook, submitAndApprove } from '../helpers/disbursement.js';
import { seedProject, type SeededProject } from '../helpers/seed.js';
import { setNow, signIn } from './worker-door.fixtures.js';

const ITEMISED = {
  daysWorked: 20, hours: 160, grossFen: 650_000, deductionsFen: 50_000, netFen: 600_000,
  pay: { baseFen: 500_000, overtimeFen: 100_000, allowanceFen: 50_000 },
  deductions: { socialInsuranceFen: 30_000, otherFen: 20_000, otherReason: '工具损坏' },
};
/** The PDF's text as poppler reads it (what a person sees printed). */
function pdfText(pdf: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'wg-slip-'));
  writeFileSync(join(dir, 's.pdf'), pdf);
  return execFileSync('pdftotext', ['-layout', join(dir, 's.pdf'), '-'], { encoding: 'utf8' });
}

let ctx: TestContext;
let s: SeededProject;
let other: SeededProject;
let payrollId: string;
let batchId: string;
let lineOf: Record<string, string>;
type Me = Awaited<ReturnType<typeof signIn>>;
let paidWorker: Me;
let rejectedWorker: Me;

/** What the events worker does with the outbox: every line.status_changed through this module's handler. */
async function deliverLineEvents() {
  const rows = await all<{ seq: string; id: string; type: string; project_id: string; company_id: string | null; county_code: string | null; payload: Record<string, unknown>; created_at: Date }>(ctx,
    sql`SELECT * FROM outbox WHERE type = 'line.status_changed' ORDER BY seq`);
  for (const r of rows) {
    const ev: RelayedEvent = { seq: Number(r.seq), id: r.id, type: r.type, projectId: r.project_id, companyId: r.company_id, countyCode: r.county_code, payload: r.payload, createdAt: new Date(r.created_at).toISOString() };
    await payslipSmsHandler.handle(ctx.deps, ev);
  }
}

beforeAll(async () => {
  ctx = await createTestContext();
  s = await seedProject(ctx, { workers: 3, sub2: false, payday: 10 });
  other = await seedProject(ctx, { workers: 1, sub2: false });
  await fundWage(ctx, s, 3 * NET);
  const a = await submitAndApprove(ctx, s);
  payrollId = a.payrollId;
  batchId = a.batchId;
  const ins = await instructionsOf(ctx, batchId);
  lineOf = Object.fromEntries((await all<{ id: string; worker_id: string }>(ctx, sql`SELECT id, worker_id FROM payroll_lines WHERE payroll_id = ${payrollId}`)).map((l) => [l.worker_id, l.id]));
  const [w0, w1] = s.workers;
  const i0 = ins.find((i) => i.worker_id === w0!.id)!;
  const i1 = ins.find((i) => i.worker_id === w1!.id)!;
  const r = await sendWebhook(ctx, s.bankCode, s.webhookSecret, { type: 'disbursement.result', data: { results: [
    { endToEndId: i0.end_to_end_id, status: 'ACSC', amountFen: NET, valueDate: '2026-11-10', creditorCardNumber: w0!.bankCardNumber },
    { endToEndId: i1.end_to_end_id, status: 'RJCT', reasonCode: 'AC04', amountFen: NET, valueDate: '2026-11-10', creditorCardNumber: w1!.bankCardNumber },
  ] } });
  expect(r.statusCode).toBe(200);
  await reconcileBatch(ctx.deps, batchId, '2026-11-20');
  setNow(ctx, new Date('2026-11-20T03:00:00Z'));
  paidWorker = await signIn(ctx, w0!);
  rejectedWorker = await signIn(ctx, w1!);
});
afterAll(async () => ctx?.close());

describe('pay slips', () => {
  it('match the ledger and the bank results to the fen', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/v1/me/payslips?month=2026-10', headers: paidWorker.headers });
    expect(res.statusCode).toBe(200);
    const items = res.json().items;
    expect(items).toHaveLength(1);
    const line = await one<{ net_fen: string; gross_fen: string; deductions_fen: string; paid_fen: string; paid_on: string; days_worked: number }>(ctx,
      sql`SELECT net_fen, gross_fen, deductions_fen, paid_fen, paid_on::text, days_worked FROM payroll_lines WHERE id = ${lineOf[s.workers[0]!.id]}`);
    const card = await one<{ card_masked: string }>(ctx, sql`SELECT card_masked FROM instructions WHERE payroll_line_id = ${lineOf[s.workers[0]!.id]}`);
    expect(items[0]).toMatchObject({
      lineId: lineOf[s.workers[0]!.id], month: '2026-10', daysWorked: line.days_worked, grossFen: Number(line.gross_fen), deductionsFen: Number(line.deductions_fen),
      netFen: NET, paidFen: NET, paidOn: '2026-11-10', status: 'paid', cardMasked: card.card_masked, projectName: expect.stringContaining('松原测试项目'),
      employerName: expect.stringContaining('分包公司'), generalContractorName: expect.stringContaining('总包公司'),
    });
    expect(Number(line.paid_fen)).toBe(NET);
    const rej = (await ctx.app.inject({ method: 'GET', url: '/v1/me/payslips', headers: rejectedWorker.headers })).json().items[0];
    expect(rej).toMatchObject({ status: 'rejected', paidFen: 0, reasonCode: 'AC04', reasonText: '银行卡已销户' });
  });

  it('downloads as a PDF', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: `/v1/me/payslips/${lineOf[s.workers[0]!.id]}`, headers: { ...paidWorker.headers, accept: 'application/pdf' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    expect(res.rawPayload.toString('latin1')).toContain('WenQuanYi'); // the CJK font is embedded
  });

  it('an itemised wage sheet gives an itemised slip (pay and deduction items, hours), in the API and the PDF', async () => {
    const w = other.workers[0]!;
    const body = { month: other.month, employerId: other.subId, control: { lineCount: 1, totalNetFen: 600_000 }, lines: [{ workerId: w.id, ...ITEMISED }] };
    const sub = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${other.projectId}/payrolls`, headers: other.headers.sub, payload: body });
    expect(sub.statusCode, sub.body).toBe(201);
    const me = await signIn(ctx, w);
    const slip = (await ctx.app.inject({ method: 'GET', url: `/v1/me/payslips?month=${other.month}`, headers: me.headers })).json().items[0];
    expect(slip).toMatchObject({ grossFen: 650_000, deductionsFen: 50_000, netFen: 600_000, hours: 160 });
    expect(slip.items).toEqual([
      { kind: 'pay', key: 'baseFen', label: '基本工资', amountFen: 500_000 },
      { kind: 'pay', key: 'overtimeFen', label: '加班工资', amountFen: 100_000 },
      { kind: 'pay', key: 'allowanceFen', label: '津贴补贴', amountFen: 50_000 },
      { kind: 'deduction', key: 'socialInsuranceFen', label: '社会保险（个人部分）', amountFen: 30_000 },
      { kind: 'deduction', key: 'otherFen', label: '其他扣款（工具损坏）', amountFen: 20_000 },
    ]);
    const pdf = await ctx.app.inject({ method: 'GET', url: `/v1/me/payslips/${slip.lineId}`, headers: { ...me.headers, accept: 'application/pdf' } });
    expect(pdf.statusCode).toBe(200);
    const text = pdfText(pdf.rawPayload);
    for (const t of ['基本工资', '加班工资', '社会保险', '工具损坏', '160 小时']) expect(text).toContain(t);
    // A sheet without items keeps its plain slip.
    const plain = (await ctx.app.inject({ method: 'GET', url: '/v1/me/payslips?month=2026-10', headers: paidWorker.headers })).json().items[0];
    expect(plain).toMatchObject({ items: [], hours: null });
  });

  it('a worker sees only their own lines and engagements', async () => {
    const theirs = lineOf[s.workers[1]!.id];
    expect((await ctx.app.inject({ method: 'GET', url: `/v1/me/payslips/${theirs}`, headers: paidWorker.headers })).statusCode).toBe(404);
    expect((await ctx.app.inject({ method: 'POST', url: `/v1/me/payslips/${theirs}/answer`, headers: paidWorker.headers, payload: { answer: 'not_received' } })).statusCode).toBe(404);
    const eng = (await ctx.app.inject({ method: 'GET', url: '/v1/me/engagements', headers: paidWorker.headers })).json().items;
    expect(eng.map((e: { projectId: string }) => e.projectId)).toEqual([s.projectId]);
    // Contractor and inspector routes are closed to a worker; another project does not exist for them.
    expect((await ctx.app.inject({ method: 'GET', url: `/v1/payrolls/${payrollId}`, headers: paidWorker.headers })).statusCode).toBe(404);
    expect([403, 404]).toContain((await ctx.app.inject({ method: 'GET', url: `/v1/projects/${other.projectId}/workers`, headers: paidWorker.headers })).statusCode);
    expect((await ctx.app.inject({ method: 'GET', url: '/v1/cases', headers: paidWorker.headers })).statusCode).toBe(403);
    // A card proposal that is not theirs (none exist before #17) is a 404.
    expect((await ctx.app.inject({ method: 'POST', url: '/v1/me/card-proposals/0193a3b0-0000-7000-8000-000000000001/confirm', headers: paidWorker.headers })).statusCode).toBe(404);
  });

  it('texts the worker once when the payment settles, is rejected or goes missing', async () => {
    // Routine settlements emit no event: the settle notices are found after the reconciliation run.
    expect(await notifySettledLines(ctx.deps, { batchId, asOf: '2026-11-20' })).toBe(1);
    expect(await notifySettledLines(ctx.deps, { batchId, asOf: '2026-11-20' })).toBe(0);
    await deliverLineEvents();
    await deliverLineEvents(); // a re-delivery changes nothing
    const msgs = await all<{ template: string; phone_masked: string; payload_enc: string }>(ctx, sql`SELECT template, phone_masked, payload_enc FROM sms_messages WHERE template LIKE 'payslip_%' ORDER BY template`);
    expect(msgs.map((m) => m.template)).toEqual(['payslip_missing', 'payslip_paid', 'payslip_rejected']);
    const paid = JSON.parse(ctx.deps.pii.decrypt(msgs[1]!.payload_enc)) as { text: string; phone: string };
    const last4 = s.workers[0]!.bankCardNumber.slice(-4);
    expect(paid.phone).toBe(s.workers[0]!.phone);
    expect(paid.text).toMatch(new RegExp(`松原测试项目 \\d+ 2026年10月工资 ¥6,000.00 已于11月10日到账\\(尾号${last4}\\)`));
    const rej = JSON.parse(ctx.deps.pii.decrypt(msgs[2]!.payload_enc)) as { text: string };
    expect(rej.text).toContain('银行卡已销户');
    const miss = JSON.parse(ctx.deps.pii.decrypt(msgs.find((m) => m.template === 'payslip_missing')!.payload_enc)) as { phone: string };
    expect(miss.phone).toBe(s.workers[2]!.phone);
  });
});

describe('answers and disputes', () => {
  it('a dispute of a bank-paid line reads disputed everywhere, alerts red, and survives a reconciliation re-run', async () => {
    const lineId = lineOf[s.workers[0]!.id]!;
    const a = await ctx.app.inject({ method: 'POST', url: `/v1/me/payslips/${lineId}/answer`, headers: paidWorker.headers, payload: { answer: 'not_received', note: '卡里没有这笔钱' } });
    expect(a.statusCode).toBe(201);
    expect(a.json()).toMatchObject({ lineId, answer: 'not_received', status: 'disputed' });
    const ev = await one<{ type: string; county_code: string; company_id: string; payload: { bankPaid: boolean } }>(ctx, sql`SELECT * FROM outbox WHERE type = 'line.disputed'`);
    expect(ev).toMatchObject({ county_code: s.countyCode, company_id: s.subId, payload: { bankPaid: true } });

    const readAll = async () => {
      const gc = (await ctx.app.inject({ method: 'GET', url: `/v1/payrolls/${payrollId}`, headers: s.headers.gc })).json();
      const insp = (await ctx.app.inject({ method: 'GET', url: `/v1/payrolls/${payrollId}`, headers: s.headers.inspector })).json();
      const emp = (await ctx.app.inject({ method: 'GET', url: `/v1/payrolls/${payrollId}`, headers: s.headers.sub })).json();
      const me = (await ctx.app.inject({ method: 'GET', url: `/v1/me/payslips/${lineId}`, headers: paidWorker.headers })).json();
      return [gc, insp, emp].map((p: { lines: { id: string; status: string; bankStatus: string }[] }) => p.lines.find((l) => l.id === lineId)).concat([me]);
    };
    for (const l of await readAll()) expect(l).toMatchObject({ status: 'disputed', bankStatus: 'paid' });
    await reconcileBatch(ctx.deps, batchId, '2026-11-25');
    await reconcileBatch(ctx.deps, batchId, '2026-11-25');
    for (const l of await readAll()) expect(l).toMatchObject({ status: 'disputed', bankStatus: 'paid' });
    expect(await disputedLineCount(ctx.deps.db, s.projectId)).toBe(1);
    expect(await disputedLineCount(ctx.deps.db, other.projectId)).toBe(0);
  });

  it('an inspector of the county clears a dispute; the line reads its bank status again', async () => {
    const lineId = lineOf[s.workers[0]!.id]!;
    const url = `/v1/payroll-lines/${lineId}/dispute-clearance`;
    expect((await ctx.app.inject({ method: 'POST', url, headers: s.headers.otherInspector, payload: { reason: 'x' } })).statusCode).toBe(404);
    expect((await ctx.app.inject({ method: 'POST', url, headers: s.headers.gc, payload: { reason: 'x' } })).statusCode).toBe(403);
    const ok = await ctx.app.inject({ method: 'POST', url, headers: s.headers.inspector, payload: { reason: '银行流水核实已到账' } });
    expect(ok.statusCode).toBe(200);
    expect((await ctx.app.inject({ method: 'POST', url, headers: s.headers.inspector, payload: { reason: 'again' } })).statusCode).toBe(409);
    expect((await ctx.app.inject({ method: 'GET', url: `/v1/me/payslips/${lineId}`, headers: paidWorker.headers })).json().status).toBe('paid');
    expect(await disputedLineCount(ctx.deps.db, s.projectId)).toBe(0);
    // Disputing again re-opens it.
    await ctx.app.inject({ method: 'POST', url: `/v1/me/payslips/${lineId}/answer`, headers: paidWorker.headers, payload: { answer: 'amount_wrong' } });
    expect(await disputedLineCount(ctx.deps.db, s.projectId)).toBe(1);
  });

  it('"received" is recorded and does not dispute; a later "received" ends the worker\'s own dispute', async () => {
    const lineId = lineOf[s.workers[1]!.id]!;
    const r = await ctx.app.inject({ method: 'POST', url: `/v1/me/payslips/${lineId}/answer`, headers: rejectedWorker.headers, payload: { answer: 'amount_wrong' } });
    expect(r.json().status).toBe('disputed');
    expect(await disputedLineCount(ctx.deps.db, s.projectId)).toBe(2);
    const ok = await ctx.app.inject({ method: 'POST', url: `/v1/me/payslips/${lineId}/answer`, headers: rejectedWorker.headers, payload: { answer: 'received' } });
    expect(ok.json().status).toBe('rejected');
    expect(await disputedLineCount(ctx.deps.db, s.projectId)).toBe(1);
    const bad = await ctx.app.inject({ method: 'POST', url: `/v1/me/payslips/${lineId}/answer`, headers: rejectedWorker.headers, payload: { answer: 'maybe' } });
    expect(bad.statusCode).toBe(400);
  });
});
