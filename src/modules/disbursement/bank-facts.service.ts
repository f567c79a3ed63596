import { sql } from 'drizzle-orm';
import { openCardFixes } from '../roster/card-fix.service.js';
import type { DbOrTx } from '../../db/client.js';
import type { PiiCipher } from '../../lib/crypto.js';
import { maskBankCard, normalizeCardNumber } from '../../lib/identifiers.js';
import { idFromKey, newId } from '../../lib/ids.js';
import { EVENTS } from '../../jobs/event-types.js';
import { emit, type OutboxEvent } from '../alerts/outbox.service.js';
import { postTransaction, projectAccounts } from '../escrow/ledger.service.js';
import { applyAccountFacts } from './account-facts.js';
import { settleHolds } from './holds.js';

/**
 * One engine for every fact a bank reports, whatever the channel (webhook, camt.054, CSV): store
 * each fact once in bank_records (the dedupe key makes the same fact from two channels collide),
 * then move instructions and ledger holds set-based. Contradictions are stored and flagged, never
 * applied over an earlier final state.
 */
export type FactKind = 'result' | 'return' | 'credit' | 'debit';
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

const SETTLED = new Set(['ACSC', 'ACCC']);
const FINAL = new Set(['settled', 'rejected', 'returned']);

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

type Instr = { id: string; e2e: string; status: string; amount: number; bidx: string; hold: string | null; batch: string; project: string; from: string | null; payouts: string | null };

export async function applyFacts(tx: DbOrTx, pii: PiiCipher, bankId: string, input: BankFact[], source: string, sourceRef: string): Promise<ApplyResult> {
  const facts = input.map(normaliseFact);
  const recs = facts.map((f) => {
    const card = f.cardNumber ? normalizeCardNumber(f.cardNumber) : null;
    return {
      id: newId(), kind: f.kind, e2e: f.endToEndId ?? null, status: f.status ?? null, reason: f.reasonCode ?? null, amount: f.amountFen, vd: f.valueDate,
      bidx: card ? pii.blindIndex(card, 'card') : null, masked: card ? maskBankCard(card) : null, acct: f.accountNumber ?? null,
      ref: f.reference ?? null, payer: f.payerName ?? null, key: dedupeKey(f), sref: f.sourceRef ?? sourceRef,
    };
  });
  // One statement for the whole event: duplicates (across channels too) fall out on the unique key.
  // json_to_recordset is estimated at 100 rows, so joins to big tables are written as per-row index
  // probes (scalar subquery) or restricted with `= ANY(ids)`; a hash join would scan the table.
  const inserted = ((await tx.execute(sql`
    INSERT INTO bank_records (id, bank_id, project_id, kind, end_to_end_id, status, reason_code, amount_fen, value_date, card_bidx, card_masked,
      account_number, reference, payer_name, source, source_ref, dedupe_key)
    SELECT x.id, ${bankId}::uuid, (SELECT i.project_id FROM instructions i WHERE i.end_to_end_id = x.e2e), x.kind, x.e2e, x.status, x.reason,
      x.amount, x.vd, x.bidx, x.masked, x.acct, x.ref, x.payer, ${source}, x.sref, x.key
    FROM json_to_recordset(${JSON.stringify(recs)}::json) AS x(id uuid, kind text, e2e text, status text, reason text, amount bigint, vd date,
      bidx text, masked text, acct text, ref text, payer text, key text, sref text)
    ON CONFLICT (bank_id, dedupe_key) DO NOTHING
    RETURNING id`)) as unknown as { rows: { id: string }[] }).rows;
  const fresh = new Set(inserted.map((r) => r.id));
  const live = recs.map((r, i) => ({ r, f: facts[i]! })).filter((x) => fresh.has(x.r.id));

  const e2es = [...new Set(live.filter((x) => x.r.e2e && (x.f.kind === 'result' || x.f.kind === 'return')).map((x) => x.r.e2e!))];
  const instrs = new Map<string, Instr>();
  if (e2es.length) {
    const r = (await tx.execute(sql`
      SELECT i.id, i.end_to_end_id AS e2e, i.status, i.amount_fen AS amount, i.card_bidx AS bidx, i.hold_transaction_id AS hold, i.batch_id AS batch,
        i.project_id AS project, b.from_account_id AS from, po.id AS payouts
      FROM instructions i JOIN batches b ON b.id = i.batch_id AND b.bank_id = ${bankId}
      LEFT JOIN ledger_accounts po ON po.code = 'payouts:' || i.project_id::text
      WHERE i.end_to_end_id = ANY(${sql.param(e2es)}::text[])
      ORDER BY i.id FOR UPDATE OF i`)) as unknown as { rows: (Omit<Instr, 'amount'> & { amount: string })[] };
    for (const x of r.rows) instrs.set(x.e2e, { ...x, amount: Number(x.amount) });
  }

  const changed = new Map<string, { status: string; reason: string | null }>();
  const holdIds: string[] = [];
  const holdAccounts = new Set<string>();
  let accountsKnown = true;
  const holdActs: ('post' | 'void')[] = [];
  const flags: { id: string; flags: string[] }[] = [];
  const events: OutboxEvent[] = [];
  const returns: { ins: Instr; amount: number; recordId: string }[] = [];
  const batchIds = new Set<string>();
  const contradicted = new Set<string>();
  const contradiction = (id: string, ins: Instr, why: string, f: BankFact) => {
    contradicted.add(id);
    flags.push({ id, flags: ['contradiction', why] });
    events.push({ type: EVENTS.bankResultContradiction, projectId: ins.project, payload: { bankRecordId: id, endToEndId: ins.e2e, instructionId: ins.id, reason: why, instructionStatus: ins.status, reportedStatus: f.status ?? f.kind, reportedAmountFen: f.amountFen, instructedAmountFen: ins.amount } });
  };
  for (const { r, f } of live) {
    if (f.kind === 'credit' || f.kind === 'debit') continue;
    const ins = r.e2e ? instrs.get(r.e2e) : undefined;
    if (!ins) {
      flags.push({ id: r.id, flags: ['unknown_end_to_end_id'] });
      continue;
    }
    batchIds.add(ins.batch);
    const move = (status: string, act: 'post' | 'void' | null) => {
      ins.status = status;
      changed.set(ins.id, { status, reason: r.reason });
      if (act && ins.hold) {
        holdIds.push(ins.hold);
        holdActs.push(act);
        if (ins.from && ins.payouts) holdAccounts.add(ins.from).add(ins.payouts);
        else accountsKnown = false;
      }
    };
    if (f.kind === 'return') {
      if (ins.status === 'instructed') { move('settled', 'post'); flags.push({ id: r.id, flags: ['return_before_settlement'] }); }
      if (ins.status === 'settled') { move('returned', null); returns.push({ ins, amount: Math.min(f.amountFen, ins.amount), recordId: r.id }); }
      else contradiction(r.id, ins, `returned_after_${ins.status}`, f);
      continue;
    }
    const st = f.status ?? '';
    if (SETTLED.has(st)) {
      if (ins.status === 'instructed') {
        if (f.amountFen !== ins.amount) contradiction(r.id, ins, 'amount_mismatch', f);
        else if (r.bidx && r.bidx !== ins.bidx) contradiction(r.id, ins, 'card_mismatch', f);
        else move('settled', 'post');
      } else if (ins.status === 'settled') contradiction(r.id, ins, 'settled_twice_different_amount', f);
      else contradiction(r.id, ins, `settled_after_${ins.status}`, f);
    } else if (st === 'RJCT') {
      if (ins.status === 'instructed') move('rejected', 'void');
      else contradiction(r.id, ins, `rejected_after_${ins.status}`, f);
    } else if (FINAL.has(ins.status)) {
      flags.push({ id: r.id, flags: ['out_of_order'] });
    }
  }

  if (changed.size) {
    const rows = [...changed.entries()].map(([id, v]) => ({ id, status: v.status, reason: v.reason }));
    await tx.execute(sql`
      UPDATE instructions i SET status = x.status, reason_code = COALESCE(x.reason, i.reason_code), updated_at = now()
      FROM json_to_recordset(${JSON.stringify(rows)}::json) AS x(id uuid, status text, reason text)
      WHERE i.id = x.id AND i.id = ANY(${sql.param(rows.map((r) => r.id))}::uuid[])`);
  }
  if (flags.length) {
    await tx.execute(sql`
      UPDATE bank_records b SET flags = b.flags || x.flags FROM json_to_recordset(${JSON.stringify(flags)}::json) AS x(id uuid, flags jsonb)
      WHERE b.id = x.id AND b.id = ANY(${sql.param(flags.map((f) => f.id))}::uuid[])`);
  }
  const accountFacts = live.filter((x) => x.f.kind === 'credit' || x.f.kind === 'debit');
  if (accountFacts.length) events.push(...(await applyAccountFacts(tx, bankId, accountFacts.map((x) => ({ id: x.r.id, ...x.f })))));
  if (batchIds.size) {
    await tx.execute(sql`
      UPDATE batches b SET status = 'completed' WHERE b.id = ANY(${sql.param([...batchIds])}::uuid[]) AND b.status IN ('ready', 'acknowledged')
        AND NOT EXISTS (SELECT 1 FROM instructions i WHERE i.batch_id = b.id AND i.status = 'instructed')`);
  }
  if (events.length) await emit(tx, ...events);
  // Hot ledger accounts (one payouts account per project) are locked last, so the row locks are
  // held only for the remaining statement and the commit.
  if (holdIds.length) await settleHolds(tx, holdIds, holdActs, accountsKnown ? [...holdAccounts] : undefined);
  for (const r of returns) {
    const acc = await projectAccounts(tx, r.ins.project);
    await postTransaction(tx, {
      id: idFromKey(`disbursement_return:${r.ins.id}`), projectId: r.ins.project, kind: 'disbursement_return', reference: r.ins.e2e,
      entries: [{ accountId: acc.payouts, amountFen: -r.amount }, { accountId: r.ins.from ?? acc.wage, amountFen: r.amount }],
      metadata: { instructionId: r.ins.id, bankRecordId: r.recordId },
    });
  }
  // Card faults (AC01/AC04/BE01): invalidate the card paid and open a card fix for the employer.
  const rejectedOrReturned = [...changed.entries()].filter(([, v]) => v.status === 'rejected' || v.status === 'returned');
  if (rejectedOrReturned.length) await openCardFixes(tx, rejectedOrReturned.map(([id, v]) => ({ instructionId: id, reasonCode: v.reason })));
  const perFact = recs.map((r) => ({ fresh: fresh.has(r.id), contradiction: contradicted.has(r.id), batchId: fresh.has(r.id) && r.e2e ? instrs.get(r.e2e)?.batch ?? null : null }));
  return { accepted: fresh.size, duplicates: recs.length - fresh.size, batchIds: [...batchIds], contradictions: contradicted.size, perFact };
}
