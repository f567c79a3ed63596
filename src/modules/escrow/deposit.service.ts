import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { UnprocessableError, NotFoundError } from '../../lib/errors.js';
import { idFromKey } from '../../lib/ids.js';
import { fenFromDb } from '../../lib/money.js';
import { EVENTS } from '../../jobs/event-types.js';
import { emit } from '../alerts/outbox.service.js';
import { appendAudit } from '../audit/audit.service.js';
import { getPolicy } from '../policy/policy.service.js';
import { depositStatus, guaranteeCover, guaranteeErrors, guaranteeReminderDate, shortfall, type DepositStatus } from './escrow.rules.js';
import { getBalances, postTransaction, projectAccounts } from './ledger.service.js';
import type { BankCredit } from './wage-account.service.js';

const rows = <T>(r: unknown): T[] => (r as { rows: T[] }).rows;

/** Deposit mutations of one project serialise here (draws, credits, returns); other projects never wait. */
export async function lockDeposit(tx: DbOrTx, projectId: string): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${'deposit:' + projectId}, 0))`);
}

export interface ProjectDepositRow {
  id: string;
  county_code: string;
  general_contractor_id: string;
  start_date: string;
  deposit_due_on: string | null;
  planned_end_date: string;
  deposit_required_fen: string;
  deposit_account_number: string | null;
  deposit_bank_id: string | null;
  wage_bank_id: string;
}

export async function loadProject(tx: DbOrTx, projectId: string): Promise<ProjectDepositRow> {
  const r = rows<ProjectDepositRow>(await tx.execute(sql`
    SELECT id, county_code, general_contractor_id, start_date::text, planned_end_date::text, deposit_required_fen, deposit_due_on::text,
      deposit_account_number, deposit_bank_id, wage_bank_id FROM projects WHERE id = ${projectId}`))[0];
  if (!r) throw new NotFoundError('Project');
  return r;
}

export interface GuaranteeView {
  id: string;
  issuingBankId: string;
  amountFen: number;
  calledFen: number;
  validFrom: string;
  validTo: string;
  reminderDate: string;
  reference: string;
  status: string;
  irrevocable: boolean;
  payableOnDemand: boolean;
  coverFen: number;
}

export interface DepositView {
  projectId: string;
  dueOn: string | null;
  requiredFen: number;
  cashBalanceFen: number;
  guaranteeCoverFen: number;
  shortfallFen: number;
  status: DepositStatus;
  accountNumber: string | null;
  replenishDue: string | null;
  guarantees: GuaranteeView[];
  openDraws: { noticeId: string; totalFen: number; replenishDue: string }[];
  returnRequest: { id: string; status: string; noticeEndsOn: string; releaseOn: string; blockedReason: string | null } | null;
  asOf: string;
}

type GRow = { id: string; issuing_bank_id: string; amount_fen: string; called_fen: string; valid_from: string; valid_to: string; reminder_date: string; reference: string; status: string; irrevocable: boolean; payable_on_demand: boolean };

export async function getDeposit(tx: DbOrTx, projectId: string, asOf: string): Promise<DepositView> {
  const p = await loadProject(tx, projectId);
  const acc = await projectAccounts(tx, projectId);
  const cash = (await getBalances(tx, [acc.depositCash])).get(acc.depositCash)!;
  const gs = rows<GRow>(await tx.execute(sql`
    SELECT id, issuing_bank_id, amount_fen, called_fen, valid_from::text, valid_to::text, reminder_date::text, reference, status, irrevocable, payable_on_demand
    FROM deposit_guarantees WHERE project_id = ${projectId} ORDER BY valid_to, id`)).map((g) => {
    const v = { id: g.id, issuingBankId: g.issuing_bank_id, amountFen: fenFromDb(g.amount_fen), calledFen: fenFromDb(g.called_fen), validFrom: g.valid_from, validTo: g.valid_to,
      reminderDate: g.reminder_date, reference: g.reference, status: g.status, irrevocable: g.irrevocable, payableOnDemand: g.payable_on_demand };
    return { ...v, coverFen: guaranteeCover(v, asOf) };
  });
  const draws = rows<{ notice_id: string; total_fen: string; replenish_due: string }>(await tx.execute(sql`
    SELECT notice_id, total_fen, replenish_due::text FROM deposit_draws WHERE project_id = ${projectId} AND replenished_on IS NULL ORDER BY replenish_due`));
  const ret = rows<{ id: string; status: string; notice_ends_on: string; release_on: string; blocked_reason: string | null }>(await tx.execute(sql`
    SELECT id, status, notice_ends_on::text, release_on::text, blocked_reason FROM deposit_returns WHERE project_id = ${projectId} ORDER BY created_at DESC LIMIT 1`))[0];
  const provided = rows<{ n: number }>(await tx.execute(sql`
    SELECT (SELECT count(*) FROM ledger_entries e WHERE e.account_id = ${acc.depositCash} AND e.amount > 0)::int
         + (SELECT count(*) FROM deposit_guarantees g WHERE g.project_id = ${projectId})::int AS n`))[0]!.n > 0;
  const requiredFen = fenFromDb(p.deposit_required_fen);
  const cashBalanceFen = cash.availableFen;
  const guaranteeCoverFen = gs.reduce((s, g) => s + g.coverFen, 0);
  // Cover back at the amount due counts as replenished even before markReplenished ran (a credit
  // booked by another path, or a letter valid from a later date).
  const replenishDue = cashBalanceFen + guaranteeCoverFen >= requiredFen ? null : (draws[0]?.replenish_due ?? null);
  return {
    projectId, requiredFen, cashBalanceFen, guaranteeCoverFen, shortfallFen: shortfall(requiredFen, cashBalanceFen, guaranteeCoverFen),
    status: depositStatus({ requiredFen, cashBalanceFen, guaranteeCoverFen, openDrawDue: replenishDue, returnStatus: (ret?.status ?? null) as never, everProvided: provided, dueOn: p.deposit_due_on, asOf }),
    dueOn: p.deposit_due_on,
    accountNumber: p.deposit_account_number, replenishDue, guarantees: gs,
    openDraws: draws.map((d) => ({ noticeId: d.notice_id, totalFen: fenFromDb(d.total_fen), replenishDue: d.replenish_due })),
    returnRequest: ret ? { id: ret.id, status: ret.status, noticeEndsOn: ret.notice_ends_on, releaseOn: ret.release_on, blockedReason: ret.blocked_reason } : null,
    asOf,
  };
}

/** Once cover is back to the amount due, open draws count as replenished (cash or a new letter). */
export async function markReplenished(tx: DbOrTx, projectId: string, asOf: string): Promise<number> {
  const v = await getDeposit(tx, projectId, asOf);
  if (v.openDraws.length === 0 || v.cashBalanceFen + v.guaranteeCoverFen < v.requiredFen) return 0;
  const n = rows(await tx.execute(sql`UPDATE deposit_draws SET replenished_on = ${asOf} WHERE project_id = ${projectId} AND replenished_on IS NULL RETURNING id`)).length;
  return n;
}

export interface GuaranteeInput {
  issuingBankId: string;
  amountFen: number;
  validFrom: string;
  validTo: string;
  reference: string;
  irrevocable?: boolean;
  payableOnDemand?: boolean;
}

export async function addGuarantee(tx: DbOrTx, projectId: string, g: GuaranteeInput, actor: string, asOf: string): Promise<GuaranteeView> {
  const p = await loadProject(tx, projectId);
  const policy = await getPolicy(tx, p.county_code, asOf);
  const errors = guaranteeErrors(g, { startDate: p.start_date, plannedEndDate: p.planned_end_date }, policy.deposit.guaranteeMinDays);
  if (errors.length) throw new UnprocessableError('The guarantee letter does not meet the rules', errors, 'guarantee_invalid');
  const bank = rows(await tx.execute(sql`SELECT 1 FROM banks WHERE id = ${g.issuingBankId}`));
  if (!bank.length) throw new UnprocessableError('Unknown issuing bank', [{ path: 'body.issuingBankId', message: 'no such bank' }], 'unknown_bank');
  await lockDeposit(tx, projectId);
  const id = idFromKey(`guarantee:${projectId}:${g.reference}`);
  const reminderDate = guaranteeReminderDate(g.validTo);
  const ins = rows(await tx.execute(sql`
    INSERT INTO deposit_guarantees (id, project_id, issuing_bank_id, amount_fen, valid_from, valid_to, reminder_date, reference, status, irrevocable, payable_on_demand)
    VALUES (${id}, ${projectId}, ${g.issuingBankId}, ${g.amountFen}, ${g.validFrom}, ${g.validTo}, ${reminderDate}, ${g.reference}, 'active', true, true)
    ON CONFLICT (project_id, reference) DO NOTHING RETURNING id`));
  if (!ins.length) throw new UnprocessableError('A guarantee letter with this reference is already on file', [{ path: 'body.reference', message: 'duplicate' }], 'guarantee_duplicate');
  await appendAudit(tx, { actor, action: 'deposit.guarantee_added', entityType: 'deposit_guarantee', entityId: id, projectId, data: { ...g, reminderDate } });
  await markReplenished(tx, projectId, asOf);
  return { id, ...g, irrevocable: true, payableOnDemand: true, calledFen: 0, reminderDate, status: 'active', coverFen: guaranteeCover({ ...g, calledFen: 0, status: 'active' }, asOf) };
}

/**
 * Cash into the deposit account (`account.credited` on the deposit account number, or a recorded
 * replenishment). Deterministic ledger id from bankRecordId: a redelivery posts nothing new.
 */
export async function recordDepositCredit(tx: DbOrTx, c: BankCredit): Promise<{ ledgerTransactionId: string; replayed: boolean; replenishedDraws: number }> {
  if (!Number.isSafeInteger(c.amountFen) || c.amountFen <= 0) throw new UnprocessableError('amountFen must be positive', [{ path: 'body.amountFen', message: 'must be > 0' }]);
  const p = await loadProject(tx, c.projectId);
  await lockDeposit(tx, c.projectId);
  const acc = await projectAccounts(tx, c.projectId);
  const txId = idFromKey(`deposit_credit:${c.bankRecordId}`);
  const r = await postTransaction(tx, {
    id: txId, projectId: c.projectId, kind: 'deposit_credit', reference: c.reference, effectiveDate: c.valueDate,
    entries: [{ accountId: acc.external, amountFen: -c.amountFen }, { accountId: acc.depositCash, amountFen: c.amountFen }],
    metadata: { bankRecordId: c.bankRecordId, payerName: c.payerName },
  });
  if (r.replayed) return { ledgerTransactionId: txId, replayed: true, replenishedDraws: 0 };
  const replenishedDraws = await markReplenished(tx, c.projectId, c.valueDate);
  await emit(tx, {
    id: idFromKey(`evt:deposit_credited:${c.bankRecordId}`), type: EVENTS.depositCredited, projectId: c.projectId, countyCode: p.county_code,
    companyId: p.general_contractor_id, payload: { amountFen: c.amountFen, valueDate: c.valueDate, reference: c.reference, replenishedDraws },
  });
  return { ledgerTransactionId: txId, replayed: false, replenishedDraws };
}

export interface OverdueReplenishment {
  projectId: string;
  countyCode: string;
  companyId: string;
  noticeId: string;
  totalFen: number;
  replenishDue: string;
}

/** Draws not replenished by their deadline, across all projects (sweeps call this). */
export async function overdueReplenishments(db: DbOrTx, asOf: string): Promise<OverdueReplenishment[]> {
  return rows<{ project_id: string; county_code: string; general_contractor_id: string; notice_id: string; total_fen: string; replenish_due: string }>(await db.execute(sql`
    SELECT d.project_id, p.county_code, p.general_contractor_id, d.notice_id, d.total_fen, d.replenish_due::text
    FROM deposit_draws d JOIN projects p ON p.id = d.project_id
    LEFT JOIN ledger_accounts a ON a.code = 'deposit_cash:' || d.project_id::text
    WHERE d.replenished_on IS NULL AND d.replenish_due < ${asOf}::date
      -- still short: cash + letters valid on asOf below the amount due
      AND COALESCE(a.posted - a.pending_out, 0) + COALESCE((SELECT SUM(g.amount_fen - g.called_fen) FROM deposit_guarantees g
            WHERE g.project_id = d.project_id AND g.status = 'active' AND ${asOf}::date BETWEEN g.valid_from AND g.valid_to), 0) < p.deposit_required_fen
    ORDER BY d.replenish_due, d.project_id`)).map((r) => ({
    projectId: r.project_id, countyCode: r.county_code, companyId: r.general_contractor_id, noticeId: r.notice_id, totalFen: fenFromDb(r.total_fen), replenishDue: r.replenish_due,
  }));
}

/** Letters whose reminder date has come and that are still valid (for `guarantee.expiring`). */
export async function expiringGuarantees(db: DbOrTx, asOf: string) {
  return rows<{ id: string; project_id: string; valid_to: string; reminder_date: string }>(await db.execute(sql`
    SELECT id, project_id, valid_to::text, reminder_date::text FROM deposit_guarantees
    WHERE status = 'active' AND reminder_date <= ${asOf}::date AND valid_to >= ${asOf}::date ORDER BY valid_to`)).map((r) => ({ id: r.id, projectId: r.project_id, validTo: r.valid_to, reminderDate: r.reminder_date }));
}
