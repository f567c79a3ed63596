import { Type } from 'typebox';
import { Fen, IsoDate, IsoMonth, Uuid } from '../platform/common.schemas.js';
import { LINE_STATUSES } from './reconciliation.rules.js';

const Status = Type.Union(LINE_STATUSES.map((s) => Type.Literal(s)), { description: 'Reconciliation status of a wage line' });
const NullStr = (max: number, description?: string) => Type.Union([Type.String({ maxLength: max }), Type.Null()], { description });

export const ProjectReconQuery = Type.Object({ month: IsoMonth('Wage month (YYYY-MM)') });

export const ProjectReconResponse = Type.Object({
  projectId: Uuid(),
  month: IsoMonth(),
  statuses: Type.Array(Type.Object({ status: Status, lines: Type.Integer({ minimum: 0 }), netFen: Fen('Net wages owed on these lines'), paidFen: Fen('Amount the bank settled on these lines') }), { maxItems: 20 }),
  totals: Type.Object({ lines: Type.Integer({ minimum: 0 }), netFen: Fen(), paidFen: Fen() }),
  orphans: Type.Object({
    count: Type.Integer({ minimum: 0, description: 'Bank results/returns of this project that match no line (value date in the month or the next)' }),
    amountFen: Fen(),
    items: Type.Array(Type.Object({
      bankRecordId: Uuid(),
      endToEndId: NullStr(35),
      kind: Type.String({ maxLength: 10 }),
      status: NullStr(4),
      reasonCode: NullStr(10),
      amountFen: Fen(),
      valueDate: IsoDate(),
      detectedAsOf: IsoDate(),
    }), { maxItems: 100, description: 'The first 100 orphans by value date' }),
  }),
});

const HistoryItem = Type.Object({
  version: Type.Integer({ minimum: 1 }),
  from: Status,
  to: Status,
  reason: Type.String({ maxLength: 64, description: 'Why: settled, settled_after_pay_date, amount_short, amount_over, not_own_card, shared_card, duplicate_settlement, rejected:<code>, returned:<code>, nothing_by_deadline, pending_at_bank, awaiting_result, cleared_by_deposit, cleared_by_gc' }),
  reasonCode: NullStr(16),
  paidFen: Fen(),
  paidOn: Type.Union([IsoDate(), Type.Null()]),
  inferred: Type.Boolean({ description: 'Matched by card + amount + value date (a statement row without EndToEndId)' }),
  paidBy: NullStr(20),
  bankRecordIds: Type.Array(Uuid(), { maxItems: 1000 }),
  asOf: IsoDate(),
  at: Type.String({ format: 'date-time' }),
});

export const PayrollReconQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 500, description: 'Lines per page (≤ 500)' })),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
});

export const PayrollReconResponse = Type.Object({
  payrollId: Uuid(),
  projectId: Uuid(),
  month: IsoMonth(),
  lines: Type.Array(Type.Object({
    id: Uuid(),
    workerId: Uuid(),
    netFen: Fen(),
    status: Status,
    paidFen: Fen(),
    paidOn: Type.Union([IsoDate(), Type.Null()]),
    reasonCode: NullStr(16),
    inferred: Type.Boolean(),
    paidBy: NullStr(20),
    reconVersion: Type.Integer({ minimum: 0 }),
    history: Type.Array(HistoryItem, { maxItems: 1000 }),
  }), { maxItems: 500 }),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
