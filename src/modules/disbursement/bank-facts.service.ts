import { sql } from 'drizzle-orm';
import { openCardFixes } from '../roster/card-fix.service.js';
import type { DbOrTx } from '../../db/client.js';
import type { PiiCipher } from '../../lib/crypto.js';
import { maskBankCard, normalizeCardNumber } from '../../lib/identifiers.js';
import { idFromKey, newIds } from '../../lib/ids.js';
import { EVENTS } from '../../jobs/event-types.js';
import { emit, type OutboxEvent } from '../alerts/outbox.service.js';
import { postTransaction, projectAccounts } from '../escrow/ledger.service.js';
import { applyAccountFacts } from './account-facts.js';
import { fastEligible, foldFacts, SETTLED, type FactKind, type RuleFact } from './bank-facts.rules.js';
import { claimKeys, insertRecords, moveFast, lockInstructions, projectsOf, writeInstructionStatuses, type FactRow } from './bank-facts.sql.js';
import { settleHolds } from './holds.js';

/**
 * One engine for every fact a bank reports, whatever the channel (webhook, camt.054, CSV): store
 * each fact once in bank_records (the dedupe key makes the same fact from two channels collide),
 * then move instructions and ledger holds set-based. Contradictions are stored and flagged, never
 * applied over an earlier final state.
 */
export type { FactKind };
export interface BankFact {
  kind: FactKind;
  endToEndId?: string | null;
  status?: string | null;
  reasonCode?: string | null;
  amountFen: number;
  valueDate: string;
  cardNumber?: string | null;
  accountNumber?: string | null;
  reference?: string | null;
  payerName?: string | null;
  /** Overrides the call's sourceRef for this fact (several webhooks applied in one call). */
  sourceRef?: string;
  /** Where a statement line came from (camt.054 entry / CSV line), for answers that name it. */
  entry?: number;
}
export interface ApplyResult {
  accepted: number;
  duplicates: number;
  batchIds: string[];
  contradictions: number;
  /** Per input fact, in order: newly stored, flagged as a contradiction, the batch it touched. */
  perFact: { fresh: boolean; contradiction: boolean; batchId: string | null }[];
}

/**
 * The same fact must produce the same key from every channel: a settlement is (e2e, amount)
 * whether it came as an ACSC result, an account.debited with an EndToEndId or a camt.054 DBIT
 * entry; a different amount is a different (contradicting) fact and is kept.
 */
export function dedupeKey(f: BankFact): string {
  const e2e = f.endToEndId ?? '';
  switch (f.kind) {
    case 'result':
      if (f.status && SETTLED.has(f.status)) return `settled:${e2e}:${f.amountFen}`;
      if (f.status === 'RJCT') return `rejected:${e2e}`;
      return `pending:${e2e}:${f.status ?? ''}`;
    case 'return':
      return `returned:${e2e}:${f.amountFen}`;
    case 'credit':
      return `credit:${f.accountNumber ?? ''}:${f.valueDate}:${f.amountFen}:${f.reference ?? ''}`;
    case 'debit':
      return `debit:${f.accountNumber ?? ''}:${f.valueDate}:${f.amountFen}:${f.reference ?? ''}`;
  }
}

/** A debit that names an EndToEndId is the settlement of that payment, told from the account side. */
export function normaliseFact(f: BankFact): BankFact {
  if (f.kind === 'debit' && f.endToEndId) return { ...f, kind: 'result', status: 'ACSC' };
  return f;
}

/**
 * Stores the facts and applies them, set-based. Fresh facts (their dedupe key new) are stored; a fast-path
 * fact (bank-facts.rules.ts `fastEligible`) moves its instruction in the same statement; every other fresh
 * fact about a payment, and any fast-path fact whose guard failed, goes through the rules under row locks, in
 * arrival order. Holds of every moved instruction are then posted or voided in one statement.
 */
export async function applyFacts(tx: DbOrTx, pii: PiiCipher, bankId: string, input: BankFact[], source: string, sourceRef: string): Promise<ApplyResult> {
  const facts = input.map(normaliseFact);
  const seenKeys = new Set<string>();
  const ids = newIds(facts.length);
  const recs: (FactRow & { repeat: boolean })[] = facts.map((f, i) => {
    const card = f.cardNumber ? normalizeCardNumber(f.cardNumber) : null;
    const key = dedupeKey(f);
    // The same fact twice in one call: the first occurrence is the fact, the rest are duplicates.
    const repeat = seenKeys.has(key);
    seenKeys.add(key);
    return {
      id: ids[i]!, kind: f.kind, e2e: f.endToEndId ?? null, status: f.status ?? null, reason: f.reasonCode ?? null, amount: f.amountFen, vd: f.valueDate,
      bidx: card ? pii.blindIndex(card, 'card') : null, masked: card ? maskBankCard(card) : null, acct: f.accountNumber ?? null,
      ref: f.reference ?? null, payer: f.payerName ?? null, key, sref: f.sourceRef ?? sourceRef, fast: false, repeat,
    };
  });
  const stored = recs.filter((r) => !r.repeat);
  const fast = fastEligible(stored);
  stored.forEach((r, i) => (r.fast = fast[i]!));
  const fresh = await claimKeys(tx, bankId, stored);
  const moved = await moveFast(tx, bankId, source, stored.filter((r) => r.fast && fresh.has(r.id)));
  const movedBy = new Map(moved.map((m) => [m.rec, m]));

  // The locked path: fresh facts about payments that the fast path did not move, in arrival order.
  const slow: RuleFact[] = stored.filter((r) => fresh.has(r.id) && !movedBy.has(r.id) && (r.kind === 'result' || r.kind === 'return'))
    .map((r) => ({ id: r.id, kind: r.kind, e2e: r.e2e, status: r.status, reason: r.reason, amountFen: r.amount, bidx: r.bidx }));
  const instrs = await lockInstructions(tx, bankId, [...new Set(slow.map((f) => f.e2e).filter((e): e is string => !!e))]);
  const fold = foldFacts(slow, instrs);
  await writeInstructionStatuses(tx, fold.changed);

  // Each fresh fact is written once, with its project and flags (the fast path stored its own). A fact naming an
  // instruction this bank did not pay keeps that instruction's project, as before.
  const flagsOf = new Map<string, string[]>();
  for (const f of fold.flags) flagsOf.set(f.id, [...(flagsOf.get(f.id) ?? []), ...f.flags]);
  const projectOf = new Map<string, string>([...moved.map((m) => [m.e2e, m.project] as const), ...[...instrs.values()].map((i) => [i.e2e, i.project] as const)]);
  const rest = stored.filter((r) => fresh.has(r.id) && !movedBy.has(r.id));
  const unknown = [...new Set(rest.filter((r) => r.e2e && !projectOf.has(r.e2e)).map((r) => r.e2e!))];
  for (const [e2e, project] of await projectsOf(tx, unknown)) projectOf.set(e2e, project);
  await insertRecords(tx, bankId, source, rest, (r) => (r.e2e ? projectOf.get(r.e2e) ?? null : null), (r) => flagsOf.get(r.id));

  const events: OutboxEvent[] = fold.contradictions.map((c) => ({
    type: EVENTS.bankResultContradiction, projectId: c.ins.project,
    payload: { bankRecordId: c.recordId, endToEndId: c.ins.e2e, instructionId: c.ins.id, reason: c.why, instructionStatus: c.ins.status, reportedStatus: c.fact.status ?? c.fact.kind, reportedAmountFen: c.fact.amountFen, instructedAmountFen: c.ins.amount },
  }));
  const accountFacts = stored.filter((r) => fresh.has(r.id) && (r.kind === 'credit' || r.kind === 'debit'));
  if (accountFacts.length) {
    events.push(...(await applyAccountFacts(tx, bankId, accountFacts.map((r) => ({ id: r.id, kind: r.kind, accountNumber: r.acct, amountFen: r.amount, valueDate: r.vd, reference: r.ref, payerName: r.payer })))));
  }
  const batchOf = new Map([...moved.map((m) => [m.rec, m.batch] as const), ...fold.batchOf]);
  const batchIds = [...new Set(batchOf.values())];
  if (batchIds.length) {
    await tx.execute(sql`
      UPDATE batches b SET status = 'completed' WHERE b.id = ANY(${sql.param(batchIds)}::uuid[]) AND b.status IN ('ready', 'acknowledged')
        AND NOT EXISTS (SELECT 1 FROM instructions i WHERE i.batch_id = b.id AND i.status = 'instructed')`);
  }
  if (events.length) await emit(tx, ...events);
  // Hot ledger accounts (one payouts account per project) are locked last, so the row locks are
  // held only for the remaining statement and the commit.
  const holds = [
    ...moved.filter((m) => m.hold).map((m) => ({ hold: m.hold!, act: m.status === 'settled' ? 'post' as const : 'void' as const, accounts: m.from && m.payouts ? [m.from, m.payouts] : null })),
    ...fold.holds,
  ];
  if (holds.length) {
    const known = holds.every((h) => h.accounts);
    await settleHolds(tx, holds.map((h) => h.hold), holds.map((h) => h.act), known ? [...new Set(holds.flatMap((h) => h.accounts!))] : undefined);
  }
  for (const r of fold.returns) {
    const acc = await projectAccounts(tx, r.ins.project);
    await postTransaction(tx, {
      id: idFromKey(`disbursement_return:${r.ins.id}`), projectId: r.ins.project, kind: 'disbursement_return', reference: r.ins.e2e,
      entries: [{ accountId: acc.payouts, amountFen: -r.amount }, { accountId: r.ins.from ?? acc.wage, amountFen: r.amount }],
      metadata: { instructionId: r.ins.id, bankRecordId: r.recordId },
    });
  }
  // Card faults (AC01/AC04/BE01): invalidate the card paid and open a card fix for the employer.
  const faults = [
    ...moved.filter((m) => m.status === 'rejected').map((m) => ({ instructionId: m.id, reasonCode: m.reason })),
    ...[...fold.changed.entries()].filter(([, v]) => v.status === 'rejected' || v.status === 'returned').map(([id, v]) => ({ instructionId: id, reasonCode: v.reason })),
  ];
  if (faults.length) await openCardFixes(tx, faults);
  const contradicted = new Set(fold.contradictions.map((c) => c.recordId));
  const perFact = recs.map((r) => ({ fresh: fresh.has(r.id), contradiction: contradicted.has(r.id), batchId: batchOf.get(r.id) ?? null }));
  return { accepted: fresh.size, duplicates: recs.length - fresh.size, batchIds, contradictions: contradicted.size, perFact };
}
