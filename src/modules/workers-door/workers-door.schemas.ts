import { Type } from 'typebox';
import { Fen, IsoMonth, Str, Uuid } from '../platform/common.schemas.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const CodeRequest = Type.Object({
  idNumber: Str(40, '18-character resident ID (spaces and full width accepted)'),
  phone: Str(30, 'Mobile phone number on file with the employer'),
}, { additionalProperties: false });
export const CodeAccepted = Type.Object({ status: Type.Literal('accepted'), message: Type.String({ description: 'The same words whether or not a code was sent' }) });
export const SessionRequest = Type.Object({
  idNumber: Str(40), phone: Str(30), code: Type.String({ minLength: 1, maxLength: 10, description: 'The 6-digit code from the SMS' }),
}, { additionalProperties: false });
export const SessionCreated = Type.Object({
  token: Type.String({ description: 'Bearer token for the API (also set as the page\'s HttpOnly cookie)' }),
  expiresAt: Type.String({ description: 'Idle expiry; each use pushes it 30 minutes ahead' }),
});
export const Me = Type.Object({ workerId: Uuid(), name: Type.String(), idNumberMasked: Type.String(), phoneMasked: Nullable(Type.String()) });

export const EngagementItem = Type.Object({
  engagementId: Uuid(), projectId: Uuid(), projectName: Type.String(), employerName: Type.String(), countyCode: Type.String(), countyName: Type.String(),
  entryDate: Type.String(), exitDate: Nullable(Type.String()),
});
export const EngagementList = Type.Object({ items: Type.Array(EngagementItem) });

export const PayslipItem = Type.Object({
  lineId: Uuid(), projectId: Uuid(), projectName: Type.String(), employerName: Type.String(), generalContractorName: Type.String(), month: Type.String(),
  daysWorked: Type.Integer(), grossFen: Fen(), deductionsFen: Fen(), netFen: Fen(), paidFen: Fen(), paidOn: Nullable(Type.String()),
  cardMasked: Nullable(Type.String()),
  status: Type.String({ description: 'The bank status, or `disputed` while the worker disputes the line' }),
  bankStatus: Type.String({ description: 'pending | paid | paid_late | underpaid | overpaid | rejected | wrong_account | missing | duplicate' }),
  reasonCode: Nullable(Type.String()), reasonText: Nullable(Type.String({ description: 'The bank\'s reason in plain Chinese' })),
  answer: Nullable(Type.String()), answeredAt: Nullable(Type.String()),
  hours: Type.Union([Type.Number(), Type.Null()], { description: 'Hours paid, when the sheet pays by the hour' }),
  items: Type.Array(Type.Object({
    kind: Type.Union([Type.Literal('pay'), Type.Literal('deduction')]), key: Type.String(), label: Type.String({ description: 'In Chinese, as on the printed slip' }), amountFen: Fen(),
  }), { description: 'Itemised pay and deductions when the wage sheet carried items (empty otherwise)' }),
});
export const PayslipList = Type.Object({ items: Type.Array(PayslipItem) });
export const PayslipQuery = Type.Object({ month: Type.Optional(IsoMonth()) }, { additionalProperties: false });
export const LineParams = Type.Object({ lineId: Uuid() });
export const ProposalParams = Type.Object({ proposalId: Uuid() });
export const WorkerParams = Type.Object({ workerId: Uuid() });

export const AnswerBody = Type.Object({
  answer: Type.Union([Type.Literal('received'), Type.Literal('not_received'), Type.Literal('amount_wrong')]),
  note: Type.Optional(Type.String({ maxLength: 500 })),
}, { additionalProperties: false });
export const AnswerOut = Type.Object({ id: Uuid(), lineId: Uuid(), answer: Type.String(), status: Type.String() });
