import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { idFromKey } from '../../lib/ids.js';
import { EVENTS } from '../../jobs/event-types.js';
import type { OutboxEvent } from '../alerts/outbox.service.js';
import { postTransaction, projectAccounts } from '../escrow/ledger.service.js';
import { releaseAwaitingBatches } from './batch.service.js';

export interface AccountFact {
  id: string;
  kind: 'result' | 'return' | 'credit' | 'debit';
  accountNumber?: string | null;
  amountFen: number;
  valueDate: string;
  reference?: string | null;
  payerName?: string | null;
}

/**
 * Credits and debits on a project's wage or deposit account, told apart by the account number
 * (scoped to the reporting bank). A credit is booked external → wage (a labour-cost allocation)
 * or external → deposit cash (a cash deposit) with a ledger id derived from the bank record, then
 * waiting batches of the project are readied. A debit without an EndToEndId is money leaving a
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
    if (f.kind === 'credit') {
      const acc = await projectAccounts(tx, r.id);
      const to = r.which === 'wage' ? acc.wage : acc.depositCash;
      await postTransaction(tx, {
        id: idFromKey(`bank_credit:${f.id}`), projectId: r.id, kind: r.which === 'wage' ? 'wage_allocation' : 'deposit_cash_in',
        reference: f.reference ?? null, effectiveDate: f.valueDate,
        entries: [{ accountId: acc.external, amountFen: -f.amountFen }, { accountId: to, amountFen: f.amountFen }],
        metadata: { bankRecordId: f.id, payerName: f.payerName ?? null },
      });
      const readiedBatchIds = await releaseAwaitingBatches(tx, r.id);
      events.push({ ...base, type: r.which === 'wage' ? EVENTS.wageAccountCredited : EVENTS.depositCredited, payload: { ...payload, readiedBatchIds } });
    } else {
      await tx.execute(sql`UPDATE bank_records SET flags = flags || '["unexplained_debit"]'::jsonb WHERE id = ${f.id}`);
      events.push({ ...base, type: EVENTS.wageAccountDebited, payload: { ...payload, account: r.which } });
    }
  }
  return events;
}
