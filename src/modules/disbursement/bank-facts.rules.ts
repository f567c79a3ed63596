/**
 * What a bank fact does to its instruction: pure rules, no I/O. An instruction moves
 * instructed → settled | rejected, settled → returned; those are final otherwise. A fact that would move a
 * final state elsewhere is a contradiction (stored, flagged, raised, never applied); a late pending status is
 * flagged out_of_order. Facts about one instruction are applied in arrival order, so a later status wins
 * exactly when the state machine lets it (PDNG then ACSC settles; ACSC then RJCT is a contradiction).
 */
export type FactKind = 'result' | 'return' | 'credit' | 'debit';

export const SETTLED = new Set(['ACSC', 'ACCC']);
const FINAL = new Set(['settled', 'rejected', 'returned']);

/** The instruction as read under lock, with the ledger accounts its hold moves between. */
export interface Instr {
  id: string;
  e2e: string;
  status: string;
  amount: number;
  bidx: string;
  hold: string | null;
  batch: string;
  project: string;
  from: string | null;
  payouts: string | null;
}

/** A newly stored fact, as far as the rules need it. */
export interface RuleFact {
  id: string;
  kind: FactKind;
  e2e: string | null;
  status: string | null;
  reason: string | null;
  amountFen: number;
  bidx: string | null;
}

export interface HoldMove { hold: string; act: 'post' | 'void'; accounts: string[] | null }
export interface Contradiction { recordId: string; ins: Instr; why: string; fact: RuleFact }

export interface Fold {
  /** Instruction id → its status after these facts and the reason of the fact that moved it last. */
  changed: Map<string, { status: string; reason: string | null }>;
  holds: HoldMove[];
  flags: { id: string; flags: string[] }[];
  contradictions: Contradiction[];
  returns: { ins: Instr; amount: number; recordId: string }[];
  /** Fact id → the batch of its instruction (known instructions only). */
  batchOf: Map<string, string>;
}

/**
 * The fast path takes a result that settles or rejects, when it is the only result/return about its
 * instruction among these facts: one set-based UPDATE guarded by `status = 'instructed'` and the amount and
 * card checks applies it exactly as `foldFacts` would. Anything else (returns, pending statuses, several
 * facts about one instruction, or a guard that fails) goes through `foldFacts` under row locks.
 */
export function fastEligible(facts: Pick<RuleFact, 'kind' | 'e2e' | 'status'>[]): boolean[] {
  const seen = new Map<string, number>();
  for (const f of facts) if (f.e2e && (f.kind === 'result' || f.kind === 'return')) seen.set(f.e2e, (seen.get(f.e2e) ?? 0) + 1);
  return facts.map((f) => f.kind === 'result' && !!f.e2e && seen.get(f.e2e) === 1 && (SETTLED.has(f.status ?? '') || f.status === 'RJCT'));
}

/** Applies facts (arrival order) to the instructions they name; `instrs` is keyed by EndToEndId and updated in place. */
export function foldFacts(facts: RuleFact[], instrs: Map<string, Instr>): Fold {
  const out: Fold = { changed: new Map(), holds: [], flags: [], contradictions: [], returns: [], batchOf: new Map() };
  const contradiction = (f: RuleFact, ins: Instr, why: string) => {
    out.flags.push({ id: f.id, flags: ['contradiction', why] });
    out.contradictions.push({ recordId: f.id, ins: { ...ins }, why, fact: f });
  };
  for (const f of facts) {
    if (f.kind === 'credit' || f.kind === 'debit') continue;
    const ins = f.e2e ? instrs.get(f.e2e) : undefined;
    if (!ins) {
      out.flags.push({ id: f.id, flags: ['unknown_end_to_end_id'] });
      continue;
    }
    out.batchOf.set(f.id, ins.batch);
    const move = (status: string, act: 'post' | 'void' | null) => {
      ins.status = status;
      out.changed.set(ins.id, { status, reason: f.reason });
      if (act && ins.hold) out.holds.push({ hold: ins.hold, act, accounts: ins.from && ins.payouts ? [ins.from, ins.payouts] : null });
    };
    if (f.kind === 'return') {
      if (ins.status === 'instructed') {
        move('settled', 'post');
        out.flags.push({ id: f.id, flags: ['return_before_settlement'] });
      }
      if (ins.status === 'settled') {
        move('returned', null);
        out.returns.push({ ins, amount: Math.min(f.amountFen, ins.amount), recordId: f.id });
      } else contradiction(f, ins, `returned_after_${ins.status}`);
      continue;
    }
    const st = f.status ?? '';
    if (SETTLED.has(st)) {
      if (ins.status === 'instructed') {
        if (f.amountFen !== ins.amount) contradiction(f, ins, 'amount_mismatch');
        else if (f.bidx && f.bidx !== ins.bidx) contradiction(f, ins, 'card_mismatch');
        else move('settled', 'post');
      } else if (ins.status === 'settled') contradiction(f, ins, 'settled_twice_different_amount');
      else contradiction(f, ins, `settled_after_${ins.status}`);
    } else if (st === 'RJCT') {
      if (ins.status === 'instructed') move('rejected', 'void');
      else contradiction(f, ins, `rejected_after_${ins.status}`);
    } else if (FINAL.has(ins.status)) {
      out.flags.push({ id: f.id, flags: ['out_of_order'] });
    }
  }
  return out;
}
