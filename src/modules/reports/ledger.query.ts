import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import type { PiiCipher } from '../../lib/crypto.js';
import { ERASED } from '../lifecycle/lifecycle.rules.js';
import type { DeductionItems, PayItems } from '../payroll/line-items.rules.js';

/** One row of the wage ledger (工资支付台账): a worker's line for one month with one employer. */
export interface LedgerRow {
  lineId: string;
  month: string;
  employerId: string;
  employerName: string;
  workerId: string;
  workerName: string;
  idNumber: string;
  cardNumber: string;
  daysWorked: number;
  hours: number | null;
  pay: PayItems | null;
  deductions: DeductionItems | null;
  grossFen: number;
  deductionsFen: number;
  netFen: number;
  paidFen: number;
  paidOn: string | null;
  endToEndId: string;
  bankTransactionId: string | null;
  status: string;
  excused: boolean;
}
export interface LedgerQuery { projectId: string; from: string; to: string; employerId: string | null; full: boolean }

type Raw = {
  id: string; month: string; employer_id: string; employer_name: string; worker_id: string; name: string; id_masked: string; id_enc: string | null;
  card_masked: string; card_enc: string | null; days_worked: number; hours: string | null; items: { pay?: PayItems; deductions?: DeductionItems } | null;
  gross_fen: string; deductions_fen: string; net_fen: string; paid_fen: string; paid_on: string | null; end_to_end_id: string; bank_ref: string | null; status: string; excused: boolean;
};

const PAGE = 1000;

/**
 * Streams the ledger in pages through a server-side cursor (one READ ONLY transaction), so memory
 * stays one page whatever the size; `onPage` may await (the consumer's backpressure). Lines of live
 * sheets only (superseded ones are history), ordered by month, employer and worker. Full IDs and cards
 * are decrypted only when `full` (the caller audits that).
 */
export async function forEachLedgerPage(db: Db, pii: PiiCipher, q: LedgerQuery, onPage: (rows: LedgerRow[]) => Promise<void>): Promise<number> {
  let count = 0;
  await db.transaction(async (tx) => {
    await tx.execute(sql`SET TRANSACTION READ ONLY`);
    await tx.execute(sql`
      DECLARE ledger_cur NO SCROLL CURSOR FOR
      SELECT l.id, l.month, l.employer_id, c.name AS employer_name, l.worker_id, w.name, w.id_number_masked AS id_masked,
        ${q.full ? sql`w.id_number_enc` : sql`NULL`} AS id_enc,
        COALESCE(i.card_masked, w.bank_card_masked) AS card_masked, ${q.full ? sql`COALESCE(i.card_enc, w.bank_card_enc)` : sql`NULL`} AS card_enc,
        l.days_worked, l.hours, l.items, l.gross_fen, l.deductions_fen, l.net_fen, l.paid_fen, l.paid_on::text, l.end_to_end_id, l.status,
        l.excused_at IS NOT NULL AS excused,
        (SELECT b.reference FROM bank_records b WHERE b.end_to_end_id = l.end_to_end_id AND b.kind = 'result' AND b.status IN ('ACSC', 'ACCC')
          ORDER BY b.received_at LIMIT 1) AS bank_ref
      FROM payroll_lines l
      JOIN payrolls p ON p.id = l.payroll_id AND p.status <> 'superseded'
      JOIN workers w ON w.id = l.worker_id
      JOIN companies c ON c.id = l.employer_id
      LEFT JOIN instructions i ON i.end_to_end_id = l.end_to_end_id
      WHERE l.project_id = ${q.projectId} AND l.month >= ${q.from} AND l.month <= ${q.to}
        ${q.employerId ? sql`AND l.employer_id = ${q.employerId}` : sql``}
      ORDER BY l.month, c.name, l.employer_id, w.name, l.worker_id`);
    for (;;) {
      const r = (await tx.execute(sql.raw(`FETCH FORWARD ${PAGE} FROM ledger_cur`))) as unknown as { rows: Raw[] };
      if (!r.rows.length) break;
      count += r.rows.length;
      await onPage(r.rows.map((x) => toRow(x, pii)));
      if (r.rows.length < PAGE) break;
    }
  });
  return count;
}

const reveal = (pii: PiiCipher, enc: string | null, masked: string) => (enc === null ? masked : enc === ERASED ? ERASED : pii.decrypt(enc));

function toRow(x: Raw, pii: PiiCipher): LedgerRow {
  return {
    lineId: x.id, month: x.month, employerId: x.employer_id, employerName: x.employer_name, workerId: x.worker_id, workerName: x.name,
    idNumber: reveal(pii, x.id_enc, x.id_masked), cardNumber: reveal(pii, x.card_enc, x.card_masked),
    daysWorked: x.days_worked, hours: x.hours === null ? null : Number(x.hours), pay: x.items?.pay ?? null, deductions: x.items?.deductions ?? null,
    grossFen: Number(x.gross_fen), deductionsFen: Number(x.deductions_fen), netFen: Number(x.net_fen), paidFen: Number(x.paid_fen), paidOn: x.paid_on,
    endToEndId: x.end_to_end_id, bankTransactionId: x.bank_ref, status: x.status, excused: x.excused,
  };
}

/** Chinese status words for the printed ledger. */
export const STATUS_ZH: Record<string, string> = {
  pending: '待支付', paid: '已支付', paid_late: '逾期支付', underpaid: '少付', overpaid: '多付', rejected: '银行退回', wrong_account: '错付', missing: '未支付', duplicate: '重复支付',
};
export const statusZh = (r: Pick<LedgerRow, 'status' | 'excused'>) => (STATUS_ZH[r.status] ?? r.status) + (r.excused ? '（已核免）' : '');

export interface Totals { lines: number; grossFen: number; deductionsFen: number; netFen: number; paidFen: number }
export const emptyTotals = (): Totals => ({ lines: 0, grossFen: 0, deductionsFen: 0, netFen: 0, paidFen: 0 });
export function addTo(t: Totals, r: LedgerRow): void {
  t.lines++;
  t.grossFen += r.grossFen;
  t.deductionsFen += r.deductionsFen;
  t.netFen += r.netFen;
  t.paidFen += r.paidFen;
}
export const yuan = (fen: number) => (fen / 100).toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
