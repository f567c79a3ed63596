/**
 * Helpers for payroll/disbursement tests: signed bank webhooks (signed with the standardwebhooks
 * library, which proves interoperability with our verifier), funding, submit-and-approve.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { drainBankInbox } from '../../src/modules/disbursement/bank-inbox.service.js';
import type { TestContext } from './context.js';
import type { SeededProject } from './seed.js';

export function signedHeaders(secret: string, body: string, opts: { id?: string; at?: Date } = {}) {
  const id = opts.id ?? `msg_${randomUUID()}`;
  const at = opts.at ?? new Date();
  const sig = new Webhook(secret).sign(id, at, body);
  return { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': sig };
}

export async function sendWebhook(ctx: TestContext, bankCode: string, secret: string, event: unknown, opts: { id?: string; at?: Date } = {}) {
  const body = JSON.stringify(event);
  return ctx.app.inject({ method: 'POST', url: `/v1/webhooks/bank/${bankCode}`, headers: signedHeaders(secret, body, opts), payload: body });
}

/** Apply every stored-but-unapplied bank webhook now (what the bank-inbox worker does); a no-op in inline mode. */
export async function applyInbox(ctx: TestContext) {
  return drainBankInbox(ctx.deps, { limit: 100 });
}

/** Send one signed webhook and apply it: the response plus this event's outcome (counts) when it was queued. */
export async function sendAndApply(ctx: TestContext, bankCode: string, secret: string, event: unknown, opts: { id?: string; at?: Date } = {}) {
  const id = opts.id ?? `msg_${randomUUID()}`;
  const res = await sendWebhook(ctx, bankCode, secret, event, { ...opts, id });
  const drained = await applyInbox(ctx);
  return { res, outcome: drained.outcomes.find((o) => o.webhookId === id) };
}

export async function fundWage(ctx: TestContext, s: SeededProject, amountFen: number, reference = `ALLOC-${randomUUID().slice(0, 8)}`) {
  const r = await sendWebhook(ctx, s.bankCode, s.webhookSecret, {
    type: 'account.credited', data: { accountNumber: s.wageAccountNumber, amountFen, valueDate: '2026-11-01', reference, payerName: '建设单位' },
  });
  if (r.statusCode !== 200) throw new Error(`fundWage: ${r.statusCode} ${r.body}`);
  await applyInbox(ctx);
  return r.json();
}

export const NET = 600_000; // CNY 6,000 for 20 days

export function sheet(s: SeededProject, workerIds = s.workerIds, perLine = (_i: number) => ({ daysWorked: 20, grossFen: NET + 50_000, deductionsFen: 50_000, netFen: NET })) {
  const lines = workerIds.map((workerId, i) => ({ workerId, ...perLine(i) }));
  return { month: s.month, employerId: s.subId, control: { lineCount: lines.length, totalNetFen: lines.reduce((a, l) => a + l.netFen, 0) }, lines };
}

export async function submitAndApprove(ctx: TestContext, s: SeededProject, body = sheet(s)) {
  const sub = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${s.projectId}/payrolls`, headers: s.headers.sub, payload: body });
  if (sub.statusCode !== 201) throw new Error(`submit: ${sub.statusCode} ${sub.body}`);
  const payrollId = sub.json().id as string;
  const ap = await ctx.app.inject({ method: 'POST', url: `/v1/payrolls/${payrollId}/approve`, headers: s.headers.gc });
  if (ap.statusCode !== 200) throw new Error(`approve: ${ap.statusCode} ${ap.body}`);
  return { payrollId, ...(ap.json() as { batchId: string; batchStatus: string; allocationShortfallFen: number }) };
}

export async function one<T>(ctx: TestContext, q: ReturnType<typeof sql>): Promise<T> {
  return ((await ctx.deps.db.execute(q)) as unknown as { rows: T[] }).rows[0]!;
}
export async function all<T>(ctx: TestContext, q: ReturnType<typeof sql>): Promise<T[]> {
  return ((await ctx.deps.db.execute(q)) as unknown as { rows: T[] }).rows;
}

export async function instructionsOf(ctx: TestContext, batchId: string) {
  return all<{ id: string; end_to_end_id: string; amount_fen: string; status: string; hold_transaction_id: string; worker_id: string }>(ctx,
    sql`SELECT id, end_to_end_id, amount_fen, status, hold_transaction_id, worker_id FROM instructions WHERE batch_id = ${batchId} ORDER BY end_to_end_id`);
}

export async function balance(ctx: TestContext, code: string) {
  const r = await one<{ posted: string; pending_out: string; pending_in: string } | undefined>(ctx, sql`SELECT posted, pending_out, pending_in FROM ledger_accounts WHERE code = ${code}`);
  return { posted: Number(r?.posted ?? 0), pendingOut: Number(r?.pending_out ?? 0), pendingIn: Number(r?.pending_in ?? 0) };
}
