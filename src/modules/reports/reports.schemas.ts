import { Type } from 'typebox';
import { CountyCode, Fen, IsoMonth, Uuid } from '../platform/common.schemas.js';

const Opt = (d?: string) => Type.Optional(Fen(d));

/** For links (a browser cannot set Accept on a link): overrides the Accept header. */
const Format = Type.Union([Type.Literal('json'), Type.Literal('xlsx'), Type.Literal('pdf')], { description: 'json | xlsx | pdf: overrides the Accept header (for download links)' });

export const LedgerQuery = Type.Object({
  from: Type.Optional(IsoMonth('First month (default: the first with lines)')),
  to: Type.Optional(IsoMonth('Last month (default: the last with lines)')),
  employerId: Type.Optional(Uuid('Only this employer (a subcontractor always sees only its own lines)')),
  full: Type.Optional(Type.Boolean({ description: 'Full resident IDs and cards (admin only; audited)' })),
  format: Type.Optional(Format),
}, { additionalProperties: false });

export const LedgerRow = Type.Object({
  lineId: Uuid(), month: Type.String(), employerId: Uuid(), employerName: Type.String(), workerId: Uuid(), workerName: Type.String(),
  idNumber: Type.String({ description: 'Masked unless full' }), cardNumber: Type.String({ description: 'The card paid (masked unless full)' }),
  daysWorked: Type.Integer(), hours: Type.Union([Type.Number(), Type.Null()]),
  pay: Type.Union([Type.Object({ baseFen: Opt(), overtimeFen: Opt(), pieceRateFen: Opt(), bonusFen: Opt(), allowanceFen: Opt() }), Type.Null()]),
  deductions: Type.Union([Type.Object({ socialInsuranceFen: Opt(), incomeTaxFen: Opt(), otherFen: Opt(), otherReason: Type.Optional(Type.String()) }), Type.Null()]),
  grossFen: Fen(), deductionsFen: Fen(), netFen: Fen(), paidFen: Fen(), paidOn: Type.Union([Type.String(), Type.Null()]),
  endToEndId: Type.String({ description: 'ISO 20022 EndToEndId of the payment' }),
  bankTransactionId: Type.Union([Type.String(), Type.Null()], { description: "The bank's reference for the settlement, when it reported one" }),
  status: Type.String(), excused: Type.Boolean({ description: 'Excused by an inspector from the settlement check' }),
});
const Totals = Type.Object({ lines: Type.Integer(), grossFen: Fen(), deductionsFen: Fen(), netFen: Fen(), paidFen: Fen() });
export const LedgerOut = Type.Object({
  projectId: Uuid(), projectName: Type.String(), from: Type.String(), to: Type.String(), full: Type.Boolean(),
  items: Type.Array(LedgerRow), totals: Totals,
}, { description: 'JSON; `Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet` → xlsx (a sheet per month); `Accept: application/pdf` → PDF' });

export const CountyReportQuery = Type.Object({ countyCode: CountyCode(), month: IsoMonth('The reported month'), format: Type.Optional(Format) }, { additionalProperties: false });
export const CountyReportOut = Type.Object({
  countyCode: Type.String(), month: Type.String(), generatedOn: Type.String(), generatedAt: Type.String(),
  rows: Type.Array(Type.Record(Type.String(), Type.Unknown()), { description: 'One row per industry plus a total row' }),
}, { description: 'JSON; xlsx or PDF by the Accept header' });
export const CountyReportList = Type.Object({ items: Type.Array(Type.Object({ countyCode: Type.String(), month: Type.String(), generatedOn: Type.String() })) });
