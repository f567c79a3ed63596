import { Type } from 'typebox';
import { Fen, IsoDate, IsoMonth, Str, Uuid } from '../platform/common.schemas.js';

export const GuaranteeBody = Type.Object({
  issuingBankId: Uuid('Bank that issued the letter'),
  amountFen: Fen('Amount guaranteed'),
  validFrom: IsoDate(),
  validTo: IsoDate('Valid ≥ 365 days counted inclusively from validFrom, and to at least the planned end'),
  reference: Str(100, 'Letter number'),
  irrevocable: Type.Optional(Type.Boolean({ description: 'The letter is irrevocable (required: false or missing is a 422)' })),
  payableOnDemand: Type.Optional(Type.Boolean({ description: 'Payable on first demand, 见索即付 (required: false or missing is a 422)' })),
}, { additionalProperties: false });

export const Guarantee = Type.Object({
  id: Uuid(), issuingBankId: Uuid(), amountFen: Fen(), calledFen: Fen('Already paid in by the issuer on calls'),
  validFrom: IsoDate(), validTo: IsoDate(), reminderDate: IsoDate('validTo − 1 month'), reference: Type.String(), status: Type.String(),
  irrevocable: Type.Boolean(), payableOnDemand: Type.Boolean(),
  coverFen: Fen('What still counts toward cover today'),
});

export const DepositStatusSchema = Type.Union(['due', 'covered', 'short', 'drawn', 'replenish_overdue', 'returning', 'returned'].map((s) => Type.Literal(s)));

export const DepositView = Type.Object({
  projectId: Uuid(), requiredFen: Fen(), cashBalanceFen: Type.Integer({ description: 'Available cash in the deposit account' }),
  guaranteeCoverFen: Fen(), shortfallFen: Fen(), status: DepositStatusSchema,
  dueOn: Type.Union([IsoDate('Deposit due by: construction permit date (else start) + deposit.dueWorkingDays working days'), Type.Null()]), accountNumber: Type.Union([Type.String(), Type.Null()]),
  replenishDue: Type.Union([IsoDate(), Type.Null()]), guarantees: Type.Array(Guarantee),
  openDraws: Type.Array(Type.Object({ noticeId: Type.String(), totalFen: Fen(), replenishDue: IsoDate() })),
  returnRequest: Type.Union([Type.Object({ id: Uuid(), status: Type.String(), noticeEndsOn: IsoDate(), releaseOn: IsoDate(), blockedReason: Type.Union([Type.String(), Type.Null()]) }), Type.Null()]),
  asOf: IsoDate(),
});

export const DrawBody = Type.Object({
  noticeId: Str(100, 'Payment notice number: the idempotency key of the draw'),
  payments: Type.Array(Type.Object({ workerId: Uuid(), amountFen: Fen(), payrollLineId: Type.Optional(Uuid()) }, { additionalProperties: false }), { minItems: 1, maxItems: 1000 }),
  asOf: Type.Optional(IsoDate('Business date (defaults to today)')),
}, { additionalProperties: false });

export const DrawResult = Type.Object({
  id: Uuid(), noticeId: Type.String(), totalFen: Fen(), fromCashFen: Fen(), fromGuaranteesFen: Fen(),
  calls: Type.Array(Type.Object({ guaranteeId: Uuid(), amountFen: Fen() })), replenishDue: IsoDate(), batchId: Type.Union([Uuid(), Type.Null()]), replayed: Type.Boolean(),
});

export const ReplenishBody = Type.Object({
  amountFen: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }), valueDate: IsoDate(), reference: Str(100, 'Bank reference: repeats are no-ops'),
  payerName: Type.Optional(Str(200)),
}, { additionalProperties: false });
export const ReplenishResult = Type.Object({ ledgerTransactionId: Uuid(), replayed: Type.Boolean(), replenishedDraws: Type.Integer() });

export const ReturnBody = Type.Object({ promise: Str(4000, 'Written no-arrears promise'), asOf: Type.Optional(IsoDate('Admin only: the business date (contractors act on the server\'s China date)')) }, { additionalProperties: false });
export const ReturnView = Type.Object({
  id: Uuid(), status: Type.String(), requestedOn: IsoDate(), noticeEndsOn: IsoDate(), reviewDueOn: IsoDate(), releaseOn: IsoDate(), heldFen: Fen(),
  blockedReason: Type.Union([Type.String(), Type.Null()]),
});

export const ScheduleBody = Type.Object({
  cycleMonths: Type.Integer({ minimum: 1, maximum: 12 }), dueDay: Type.Integer({ minimum: 1, maximum: 28 }),
  amountFen: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })), shareBp: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000 })),
  startMonth: IsoMonth(),
}, { additionalProperties: false });
export const Schedule = Type.Object({
  projectId: Uuid(), cycleMonths: Type.Integer(), dueDay: Type.Integer(), amountFen: Type.Union([Fen(), Type.Null()]), shareBp: Type.Union([Type.Integer(), Type.Null()]), startMonth: IsoMonth(),
});

export const AllocationBody = Type.Object({ amountFen: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }), valueDate: IsoDate(), reference: Str(100) }, { additionalProperties: false });
export const AllocationResult = Type.Object({ id: Uuid(), status: Type.String(), ledgerTransactionId: Uuid() });

export const WageAccountView = Type.Object({ projectId: Uuid(), postedFen: Type.Integer(), pendingInFen: Type.Integer(), pendingOutFen: Type.Integer(), availableFen: Type.Integer() });
