import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { EVENTS } from '../../jobs/event-types.js';
import type { OutboxEvent } from '../alerts/outbox.service.js';
import { recordDepositCredit } from '../escrow/deposit.service.js';
import { recordWageAccountCredit } from '../escrow/wage-account.service.js';
import { releaseAwaitingBatches } from './batch-release.service.js';

export interface AccountFact {
  id: string;
  kind: 'result' | 'return' | 'credit' | 'debit';
  accountNumber?: string | null;
  amountFen: number;
  valueDate: string;
  reference?: string | null;
  payerName?: string | null;
}

/** Which of these account numbers are a project's wage or deposit account held at this bank. */
export async function accountsHeldAt(db: DbOrTx, bankId: string, numbers: string[]): Promise<Set<string>> {
  if (!numbers.length) return new Set();
  const r = (await db.execute(sql`
    SELECT wage_account_number AS n FROM projects WHERE wage_bank_id = ${bankId} AND wage_account_number = ANY(${sql.param(numbers)}::text[])
    UNION SELECT deposit_account_number FROM projects WHERE deposit_bank_id = ${bankId} AND deposit_account_number = ANY(${sql.param(numbers)}::text[])`)) as unknown as { rows: { n: string }[] };
  return new Set(r.rows.map((x) => x.n));
}

/**
 * Credits and debits on a project's wage or deposit account, told apart by the account number
 * (scoped to the reporting bank). A credit is handed to the escrow module (recordWageAccountCredit /
 * recordDepositCredit), then waiting batches of the project are readied. A debit without an EndToEndId is money leaving a
 * ring-fenced account for no known payment: stored, flagged and announced, not booked (the
 * reconciliation/inspection side decides). Low volume, so row by row.
 */
export async function applyAccountFacts(tx: DbOrTx, bankId: string, facts: AccountFact[]): Promise<OutboxEvent[]> {
  const events: OutboxEvent[] = [];
  for (const f of facts) {
    const r = ((await tx.execute(sql`
      SELECT id, county_code, general_contractor_id,
        CASE WHEN wage_bank_id = ${bankId} AND wage_account_number = ${f.accountNumber ?? ''} THEN 'wage' ELSE 'deposit' END AS which
      FROM projects
      WHERE (wage_bank_id = ${bankId} AND wage_account_number = ${f.accountNumber ?? ''})
         OR (deposit_bank_id = ${bankId} AND deposit_account_number = ${f.accountNumber ?? ''})
      LIMIT 1`)) as unknown as { rows: { id: string; county_code: string; general_contractor_id: string; which: 'wage' | 'deposit' }[] }).rows[0];
    if (!r) {
      await tx.execute(sql`UPDATE bank_records SET flags = flags || '["unknown_account"]'::jsonb WHERE id = ${f.id}`);
      continue;
    }
    await tx.execute(sql`UPDATE bank_records SET project_id = ${r.id} WHERE id = ${f.id}`);
    const base = { projectId: r.id, countyCode: r.county_code, companyId: r.general_contractor_id };
    const payload = { bankRecordId: f.id, accountNumber: f.accountNumber, amountFen: f.amountFen, valueDate: f.valueDate, reference: f.reference ?? null, payerName: f.payerName ?? null };
    if (f.kind === 'credit' && f.amountFen > 0) {
      // The escrow module books the credit (allocation matching, deposit replenishment) and emits
      // wage_account.credited / deposit.credited; ids derive from the bank record, so replays are no-ops.
      const credit = { projectId: r.id, amountFen: f.amountFen, valueDate: f.valueDate, reference: f.reference ?? null, payerName: f.payerName ?? null, bankRecordId: f.id };
      if (r.which === 'wage') await recordWageAccountCredit(tx, credit);
      else await recordDepositCredit(tx, credit);
      await releaseAwaitingBatches(tx, r.id);
    } else if (f.kind === 'debit') {
      await tx.execute(sql`UPDATE bank_records SET flags = flags || '["unexplained_debit"]'::jsonb WHERE id = ${f.id}`);
      events.push({ ...base, type: EVENTS.wageAccountDebited, payload: { ...payload, account: r.which } });
    }
  }
  return events;
}
