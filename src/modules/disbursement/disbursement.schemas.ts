import { Type } from 'typebox';
import { Fen, IsoDate, Uuid } from '../platform/common.schemas.js';

const E2e = Type.String({ minLength: 1, maxLength: 35, description: 'ISO 20022 EndToEndId (our payroll line id without hyphens)' });
const Code = Type.String({ minLength: 1, maxLength: 35 });
const Acct = Type.String({ minLength: 1, maxLength: 64 });
const Card = Type.String({ minLength: 1, maxLength: 40 });

export const BatchSummary = Type.Object({
  id: Uuid(), projectId: Uuid(), kind: Type.String({ description: 'payroll | deposit_draw | gc_advance' }),
  status: Type.String({ description: 'awaiting_funds | ready | acknowledged | completed | cancelled (closed unsent: an arrears case paid every line)' }), lineCount: Type.Integer(), totalFen: Fen(),
  debtorAccount: Type.String(), debtorName: Type.String(), requestedExecutionDate: Type.String(), createdAt: Type.String(),
});
export const BatchListQuery = Type.Object({
  status: Type.Optional(Type.Union([Type.Literal('awaiting_funds'), Type.Literal('ready'), Type.Literal('acknowledged'), Type.Literal('completed'), Type.Literal('cancelled')])),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
});
export const BatchDetail = Type.Object({
  id: Uuid(), projectId: Uuid(), payrollId: Type.Union([Uuid(), Type.Null()]), kind: Type.String(), status: Type.String(), bankCode: Type.String(),
  debtorAccount: Type.String(), debtorName: Type.String(), requestedExecutionDate: Type.String(), createdAt: Type.String(),
  lineCount: Type.Integer(), totalFen: Fen(), shortfallFen: Fen(),
  lines: Type.Array(Type.Object({
    endToEndId: Type.String(), instructionId: Uuid(), workerId: Uuid(), payrollLineId: Type.Union([Uuid(), Type.Null()]),
    creditorName: Type.String(),
    cardNumber: Type.String({ description: 'Full card number for the executing bank (audited read); masked for anyone else' }),
    cardMasked: Type.String(), amountFen: Fen(), status: Type.String({ description: 'instructed | settled | rejected | returned' }),
    reasonCode: Type.Union([Type.String(), Type.Null()]),
  })),
}, { description: 'With `Accept: application/xml` the same batch as an ISO 20022 pain.001.001.09 document' });
export const AckResponse = Type.Object({ id: Uuid(), status: Type.String(), acknowledgedAt: Type.String() });

const Result = Type.Object({
  endToEndId: E2e,
  status: Type.Union([Type.Literal('ACSC'), Type.Literal('ACCC'), Type.Literal('ACSP'), Type.Literal('PDNG'), Type.Literal('RJCT')]),
  reasonCode: Type.Optional(Code), amountFen: Fen(), valueDate: IsoDate(), creditorCardNumber: Card,
});
export const WebhookBody = Type.Union([
  Type.Object({ type: Type.Literal('disbursement.result'), data: Type.Object({ results: Type.Array(Result, { minItems: 1, maxItems: 1000 }) }) }),
  Type.Object({ type: Type.Literal('disbursement.returned'), data: Type.Object({ endToEndId: E2e, amountFen: Fen(), reasonCode: Code, valueDate: IsoDate() }) }),
  Type.Object({ type: Type.Literal('account.credited'), data: Type.Object({ accountNumber: Acct, amountFen: Fen(), valueDate: IsoDate(), reference: Type.String({ maxLength: 140 }), payerName: Type.String({ maxLength: 140 }) }) }),
  Type.Object({ type: Type.Literal('card.verified'), data: Type.Object({ verificationId: Uuid(), result: Type.Union([Type.Literal('match'), Type.Literal('mismatch'), Type.Literal('closed')]) }) }),
  Type.Object({ type: Type.Literal('account.debited'), data: Type.Object({ accountNumber: Acct, amountFen: Fen(), valueDate: IsoDate(), reference: Type.String({ maxLength: 140 }), endToEndId: Type.Optional(E2e) }) }),
  Type.Object({ type: Type.Literal('account.closed'), data: Type.Object({ accountNumber: Acct, closedOn: IsoDate() }) }),
], { description: 'Standard Webhooks payload `{ type, data }`' });
export const WebhookResponse = Type.Object({
  received: Type.Boolean(), duplicate: Type.Boolean({ description: 'true when this webhook-id was already processed (no second effect)' }),
  accepted: Type.Integer(), duplicates: Type.Integer({ description: 'facts already known from another delivery or a statement' }),
  contradictions: Type.Integer(),
  applied: Type.Optional(Type.Boolean({ description: 'true when the effects were applied before answering; false when stored and queued (the counts are then 0)' })),
});
export const StatementResponse = Type.Object({
  accepted: Type.Integer(), duplicates: Type.Integer(), rejected: Type.Integer(),
  errors: Type.Array(Type.Object({ entry: Type.Integer(), message: Type.String(), reason: Type.Optional(Type.String({ description: 'unknown_account: the account is not a wage or deposit account held at this bank' })) }), { maxItems: 1000 }),
});
