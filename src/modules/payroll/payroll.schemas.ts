import { Type } from 'typebox';
import { Fen, IsoMonth, Uuid } from '../platform/common.schemas.js';

const Int = (max: number, description?: string) => Type.Integer({ minimum: 0, maximum: max, description });

export const PayrollLineIn = Type.Object({
  workerId: Uuid('Worker id (engaged by the employer on this project)'),
  daysWorked: Int(31, 'Days worked in the month'),
  grossFen: Fen('Gross pay'),
  deductionsFen: Fen('Deductions (social insurance, tax, advances)'),
  netFen: Fen('Net pay = gross − deductions'),
  pay: Type.Optional(Type.Object({
    baseFen: Type.Optional(Fen('Base pay (基本工资)')), overtimeFen: Type.Optional(Fen('Overtime (加班工资)')),
    pieceRateFen: Type.Optional(Fen('Piece rate (计件工资)')), bonusFen: Type.Optional(Fen('Bonus (奖金)')), allowanceFen: Type.Optional(Fen('Allowances (津贴补贴)')),
  }, { additionalProperties: false, description: 'Itemised pay; when sent, the items must sum to grossFen (else 422 on this path)' })),
  deductions: Type.Optional(Type.Object({
    socialInsuranceFen: Type.Optional(Fen('Social insurance, employee share (社会保险)')), incomeTaxFen: Type.Optional(Fen('Individual income tax (个人所得税)')),
    otherFen: Type.Optional(Fen('Other deduction')), otherReason: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Required when otherFen > 0' })),
  }, { additionalProperties: false, description: 'Itemised deductions; when sent, they must sum to deductionsFen (else 422 on this path)' })),
  hours: Type.Optional(Type.Number({ minimum: 0, maximum: 744, multipleOf: 0.25, description: 'Hours worked, where paid by the hour' })),
}, { additionalProperties: false });

export const SubmitPayrollBody = Type.Object({
  month: IsoMonth('Pay period YYYY-MM'),
  employerId: Uuid('The employing company (subcontractor or the GC itself)'),
  control: Type.Object({
    lineCount: Int(100_000, 'Number of lines (control record)'),
    totalNetFen: Fen('Sum of net pay (control record)'),
  }, { additionalProperties: false, description: 'Control record: a mismatch rejects the whole sheet' }),
  lines: Type.Array(PayrollLineIn, { minItems: 1, maxItems: 20_000 }),
}, { additionalProperties: false });

export const Finding = Type.Object({
  id: Uuid(),
  code: Type.String({ description: 'no_attendance | days_over_present | below_minimum_wage | equal_pay | monthly_cap | yearly_cap | attended_missing' }),
  severity: Type.String({ description: 'red | orange | yellow' }),
  workerId: Type.Union([Uuid(), Type.Null()]),
  lineId: Type.Union([Uuid(), Type.Null()]),
  message: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown()),
});

export const SubmitPayrollResponse = Type.Object({
  id: Uuid(),
  status: Type.String(),
  supersedesId: Type.Union([Uuid(), Type.Null()]),
  findings: Type.Array(Finding),
});

export const PayrollLineOut = Type.Object({
  id: Uuid(), workerId: Uuid(), workerName: Type.String(), daysWorked: Type.Integer(), grossFen: Fen(), deductionsFen: Fen(), netFen: Fen(),
  endToEndId: Type.String({ description: 'ISO 20022 EndToEndId (the line id without hyphens)' }),
  status: Type.String({ description: 'pending | paid | paid_late | underpaid | overpaid | rejected | wrong_account | missing | duplicate | disputed (the worker disputes it; bankStatus keeps the bank\'s view)' }),
  bankStatus: Type.Optional(Type.String({ description: 'The reconciliation status, also while the line is disputed' })),
  paidFen: Fen(), paidOn: Type.Union([Type.String(), Type.Null()]), reasonCode: Type.Union([Type.String(), Type.Null()]),
});

export const PayrollOut = Type.Object({
  id: Uuid(), projectId: Uuid(), employerId: Uuid(), month: Type.String(),
  status: Type.String({ description: 'submitted | superseded | approved' }),
  lineCount: Type.Integer(), totalNetFen: Fen(), supersedesId: Type.Union([Uuid(), Type.Null()]),
  submittedAt: Type.String(), approvedAt: Type.Union([Type.String(), Type.Null()]),
  batchId: Type.Union([Uuid(), Type.Null()]), allocationShortfallFen: Fen(),
  lines: Type.Array(PayrollLineOut),
  findings: Type.Array(Finding),
  summary: Type.Array(Type.Object({ status: Type.String(), count: Type.Integer(), netFen: Fen(), paidFen: Fen() }), { description: 'Lines per status with amounts' }),
});

export const PayrollListItem = Type.Object({
  id: Uuid(), employerId: Uuid(), month: Type.String(), status: Type.String(), lineCount: Type.Integer(), totalNetFen: Fen(),
  batchId: Type.Union([Uuid(), Type.Null()]), allocationShortfallFen: Fen(), submittedAt: Type.String(), supersedesId: Type.Union([Uuid(), Type.Null()]),
});

export const ApproveResponse = Type.Object({
  batchId: Type.Union([Uuid(), Type.Null()], { description: 'The disbursement batch (null when every line nets to zero)' }),
  status: Type.String(),
  batchStatus: Type.String({ description: 'ready | awaiting_funds | completed (every payment waits as a card fix) | none' }),
  allocationShortfallFen: Fen('Wage-account money missing at approval'),
});
