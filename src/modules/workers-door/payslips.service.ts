import { sql } from 'drizzle-orm';
import { DEDUCTION_KEYS, PAY_KEYS } from '../payroll/line-items.rules.js';
import type { DbOrTx } from '../../db/client.js';
import { NotFoundError } from '../../lib/errors.js';
import { countyName } from '../../lib/county-names.js';

type Rows<T> = { rows: T[] };
const n = (v: string | number | null): number => (v === null ? 0 : Number(v));

/** The line status every reader sees: a live dispute overrides the bank status (reconciliation never touches it). */
export const DISPUTED_SQL = (lineAlias: string) => sql.raw(`(SELECT a.answer IN ('not_received', 'amount_wrong') AND a.cleared_at IS NULL
  FROM payslip_answers a WHERE a.line_id = ${lineAlias}.id ORDER BY a.created_at DESC, a.id DESC LIMIT 1)`);

/** Bank reason codes in the words a worker understands. */
export const REASON_TEXT: Record<string, { zh: string; en: string }> = {
  AC01: { zh: '银行卡号有误', en: 'wrong card number' },
  AC04: { zh: '银行卡已销户', en: 'card account closed' },
  AC06: { zh: '银行卡被冻结', en: 'card account blocked' },
  BE01: { zh: '户名与证件不符', en: 'name does not match the account' },
  AM04: { zh: '工资专户资金不足', en: 'insufficient funds in the wage account' },
  AM05: { zh: '重复付款', en: 'duplicate payment' },
  DUPL: { zh: '重复付款', en: 'duplicate payment' },
};

/**
 * Who is signed in at the worker's door: the person and the phone that received the code. Each
 * employer keeps its own phone for the worker (card custody), and a company could register its own
 * number against someone else's ID; so a session sees only the engagements whose phone on file is
 * the one it signed in with (blind index compare), and their pay slips. Another employer's
 * engagement under a different phone stays shut, whatever that employer does with its own phone.
 */
export interface WorkerWho { workerId: string; phoneBidx: string }

/** The engagement rows a session may see; alias `e` = engagements. */
export const visibleEngagementSql = (who: WorkerWho, e = 'e') => sql`${sql.raw(e)}.worker_id = ${who.workerId} AND ${sql.raw(e)}.phone_bidx = ${who.phoneBidx}`;

/** A payroll line (alias `l`) the session may see: its engagement (project, worker, employer) carries the session's phone. */
const visibleLineSql = (who: WorkerWho) => sql`l.worker_id = ${who.workerId} AND EXISTS (SELECT 1 FROM engagements e
  WHERE e.project_id = l.project_id AND e.employer_id = l.employer_id AND ${visibleEngagementSql(who)})`;

export interface Engagement { engagementId: string; projectId: string; projectName: string; employerName: string; countyCode: string; countyName: string; entryDate: string; exitDate: string | null }

export async function myEngagements(db: DbOrTx, who: WorkerWho): Promise<Engagement[]> {
  const r = (await db.execute(sql`
    SELECT e.id, e.project_id, p.name AS project_name, c.name AS employer_name, p.county_code, e.entry_date::text, e.exit_date::text
    FROM engagements e JOIN projects p ON p.id = e.project_id JOIN companies c ON c.id = e.employer_id
    WHERE ${visibleEngagementSql(who)} ORDER BY e.entry_date DESC, e.id`)) as unknown as Rows<{ id: string; project_id: string; project_name: string; employer_name: string; county_code: string; entry_date: string; exit_date: string | null }>;
  return r.rows.map((x) => ({ engagementId: x.id, projectId: x.project_id, projectName: x.project_name, employerName: x.employer_name, countyCode: x.county_code, countyName: countyName(x.county_code), entryDate: x.entry_date, exitDate: x.exit_date }));
}

export interface Payslip {
  lineId: string; projectId: string; projectName: string; employerName: string; generalContractorName: string; month: string;
  daysWorked: number; grossFen: number; deductionsFen: number; netFen: number; paidFen: number; paidOn: string | null;
  cardMasked: string | null; status: string; bankStatus: string; reasonCode: string | null; reasonText: string | null;
  answer: string | null; answeredAt: string | null;
  /** Hours paid, when the sheet pays by the hour. */
  hours: number | null;
  /** Itemised pay and deductions (工资清单 lines) when the wage sheet carried items; empty otherwise. */
  items: SlipItem[];
}

export interface SlipItem { kind: 'pay' | 'deduction'; key: string; label: string; amountFen: number }

const ITEM_LABELS: Record<string, string> = {
  baseFen: '基本工资', overtimeFen: '加班工资', pieceRateFen: '计件工资', bonusFen: '奖金', allowanceFen: '津贴补贴',
  socialInsuranceFen: '社会保险（个人部分）', incomeTaxFen: '个人所得税', otherFen: '其他扣款',
};

/** The stored items of a line (payroll line-items rules) as slip rows, pay first, in the ledger's order. */
export function slipItems(items: { pay?: Record<string, number>; deductions?: Record<string, number | string> } | null): SlipItem[] {
  if (!items) return [];
  const out: SlipItem[] = [];
  for (const k of PAY_KEYS) if (typeof items.pay?.[k] === 'number') out.push({ kind: 'pay', key: k, label: ITEM_LABELS[k]!, amountFen: items.pay[k] });
  for (const k of DEDUCTION_KEYS) {
    const v = items.deductions?.[k];
    if (typeof v !== 'number') continue;
    const reason = k === 'otherFen' && typeof items.deductions?.otherReason === 'string' ? `（${items.deductions.otherReason}）` : '';
    out.push({ kind: 'deduction', key: k, label: ITEM_LABELS[k]! + reason, amountFen: v });
  }
  return out;
}

/**
 * A worker's pay slips: one per wage line of a live (not superseded) sheet. Amounts are the ledger's
 * (the sheet) and the bank's (`paid_fen`, `paid_on`, set by reconciliation) exactly as stored, in fen.
 */
export async function myPayslips(db: DbOrTx, who: WorkerWho, filter: { month?: string; lineId?: string } = {}): Promise<Payslip[]> {
  const r = (await db.execute(sql`
    SELECT l.id, l.project_id, p.name AS project_name, c.name AS employer_name, gc.name AS gc_name, l.month, l.days_worked,
      l.gross_fen, l.deductions_fen, l.net_fen, l.paid_fen, l.paid_on::text, l.status, l.reason_code, i.card_masked, l.items, l.hours::text,
      a.answer, a.created_at AS answered_at, COALESCE(${DISPUTED_SQL('l')}, false) AS disputed
    FROM payroll_lines l
    JOIN payrolls pr ON pr.id = l.payroll_id AND pr.status <> 'superseded'
    JOIN projects p ON p.id = l.project_id
    JOIN companies c ON c.id = l.employer_id
    JOIN companies gc ON gc.id = p.general_contractor_id
    LEFT JOIN LATERAL (SELECT card_masked FROM instructions WHERE payroll_line_id = l.id ORDER BY updated_at DESC LIMIT 1) i ON true
    LEFT JOIN LATERAL (SELECT answer, created_at FROM payslip_answers WHERE line_id = l.id ORDER BY created_at DESC, id DESC LIMIT 1) a ON true
    WHERE ${visibleLineSql(who)}
      ${filter.month ? sql`AND l.month = ${filter.month}` : sql``}
      ${filter.lineId ? sql`AND l.id = ${filter.lineId}` : sql``}
    ORDER BY l.month DESC, p.name, l.id
    LIMIT 500`)) as unknown as Rows<{
    id: string; project_id: string; project_name: string; employer_name: string; gc_name: string; month: string; days_worked: number;
    gross_fen: string; deductions_fen: string; net_fen: string; paid_fen: string; paid_on: string | null; status: string; reason_code: string | null;
    card_masked: string | null; answer: string | null; answered_at: Date | string | null; disputed: boolean;
    items: { pay?: Record<string, number>; deductions?: Record<string, number | string> } | null; hours: string | null;
  }>;
  return r.rows.map((x) => ({
    lineId: x.id, projectId: x.project_id, projectName: x.project_name, employerName: x.employer_name, generalContractorName: x.gc_name, month: x.month,
    daysWorked: x.days_worked, grossFen: n(x.gross_fen), deductionsFen: n(x.deductions_fen), netFen: n(x.net_fen), paidFen: n(x.paid_fen), paidOn: x.paid_on,
    cardMasked: x.card_masked, status: x.disputed ? 'disputed' : x.status, bankStatus: x.status, reasonCode: x.reason_code,
    reasonText: x.reason_code ? (REASON_TEXT[x.reason_code]?.zh ?? x.reason_code) : null,
    answer: x.answer, answeredAt: x.answered_at ? new Date(x.answered_at).toISOString() : null,
    hours: x.hours === null ? null : Number(x.hours), items: slipItems(x.items),
  }));
}

export async function myPayslip(db: DbOrTx, who: WorkerWho, lineId: string): Promise<Payslip> {
  const [s] = await myPayslips(db, who, { lineId });
  if (!s) throw new NotFoundError('Pay slip');
  return s;
}
