/**
 * Fixtures for the project-life and wage-ledger stories: an itemised month paid through the bank
 * (signed webhooks) and reconciled, worker exits, the bank's account.closed.
 */
import { expect } from 'vitest';
import { addMonths } from '../../src/lib/calendar.js';
import { reconcileBatch } from '../../src/modules/reconciliation/reconciliation.service.js';
import type { TestContext } from '../helpers/context.js';
import { instructionsOf, sendAndApply } from '../helpers/disbursement.js';
import type { SeededProject } from '../helpers/seed.js';

export const LINE = {
  daysWorked: 20, hours: 160, grossFen: 650_000, deductionsFen: 50_000, netFen: 600_000,
  pay: { baseFen: 500_000, overtimeFen: 100_000, allowanceFen: 50_000 },
  deductions: { socialInsuranceFen: 30_000, incomeTaxFen: 20_000 },
};

export function itemisedSheet(s: SeededProject, month: string, workerIds: string[], employerId = s.subId) {
  const lines = workerIds.map((workerId) => ({ workerId, ...LINE }));
  return { month, employerId, control: { lineCount: lines.length, totalNetFen: lines.length * LINE.netFen }, lines };
}

/**
 * Submit (employer) and approve (GC) an itemised sheet for `month`, have the bank settle every
 * payment (or reject the workers in `reject`) by a signed webhook, and reconcile.
 */
export async function payMonth(ctx: TestContext, s: SeededProject, month: string, opts: { workerIds?: string[]; reject?: string[]; headers?: { authorization: string } } = {}) {
  const ids = opts.workerIds ?? s.workerIds;
  const sub = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${s.projectId}/payrolls`, headers: opts.headers ?? s.headers.sub, payload: itemisedSheet(s, month, ids) });
  expect(sub.statusCode, sub.body).toBe(201);
  const payrollId = sub.json().id as string;
  const ap = await ctx.app.inject({ method: 'POST', url: `/v1/payrolls/${payrollId}/approve`, headers: s.headers.gc });
  expect(ap.statusCode, ap.body).toBe(200);
  const batchId = ap.json().batchId as string;
  const next = addMonths(month, 1);
  const ins = await instructionsOf(ctx, batchId);
  const results = ins.map((i) => ({
    endToEndId: i.end_to_end_id, amountFen: Number(i.amount_fen), valueDate: `${next}-05`,
    creditorCardNumber: s.workers.find((w) => w.id === i.worker_id)?.bankCardNumber ?? '6222020000000000000',
    ...(opts.reject?.includes(i.worker_id) ? { status: 'RJCT', reasonCode: 'AC04' } : { status: 'ACSC' }),
  }));
  const { res } = await sendAndApply(ctx, s.bankCode, s.webhookSecret, { type: 'disbursement.result', data: { results } });
  expect(res.statusCode, res.body).toBe(200);
  await reconcileBatch(ctx.deps, batchId, `${next}-20`);
  return { payrollId, batchId };
}

export async function exitAll(ctx: TestContext, s: SeededProject, exitDate: string, workerIds = s.workerIds, headers = s.headers.sub) {
  for (const w of workerIds) {
    const r = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${s.projectId}/workers/${w}/exit`, headers, payload: { exitDate } });
    expect(r.statusCode, r.body).toBe(200);
  }
}

export async function bankClosesWageAccount(ctx: TestContext, s: SeededProject, closedOn: string) {
  const { res } = await sendAndApply(ctx, s.bankCode, s.webhookSecret, { type: 'account.closed', data: { accountNumber: s.wageAccountNumber, closedOn } });
  expect(res.statusCode, res.body).toBe(200);
}
