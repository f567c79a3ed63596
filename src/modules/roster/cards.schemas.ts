import { Type } from 'typebox';
import { Fen, Uuid } from '../platform/common.schemas.js';

export const ProposeCard = Type.Object(
  { bankCardNumber: Type.String({ minLength: 1, maxLength: 23, description: "The worker's new own bank card (16–19 digits)" }) },
  { additionalProperties: false },
);
export const CardProposed = Type.Object({
  proposalId: Uuid('The proposed card; the bank checks it (GET /v1/bank/card-verifications) or the worker confirms it'),
  status: Type.Literal('proposed'),
});
const CardStatus = Type.Union(['active', 'legacy', 'proposed', 'verified', 'invalid', 'refused', 'replaced'].map((s) => Type.Literal(s)), {
  description: 'active/legacy: the card this engagement pays (exactly one); proposed: waiting for the bank check or the worker; verified: the bank matched it (momentary, then active); invalid: the bank rejected it (AC01/AC04/BE01); refused: failed the check or superseded; replaced: an earlier paying card',
});
export const CardHistory = Type.Object({
  items: Type.Array(Type.Object({
    id: Uuid(), engagementId: Uuid(), cardMasked: Type.String(), status: CardStatus,
    since: Type.String({ description: 'When the card entered this status' }),
    by: Type.String({ description: "Who moved it there: a key id, 'bank', 'migration', or the worker" }),
    origin: Type.String({ description: 'registration | proposal | legacy' }),
    verification: Type.Union([Type.String({ description: 'pending | match | mismatch | closed' }), Type.Null()]),
    reason: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
  })),
});
export const CardVerificationQuery = Type.Object({
  status: Type.Optional(Type.Literal('pending')),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
}, { additionalProperties: false });
export const CardVerifications = Type.Object({
  items: Type.Array(Type.Object({
    id: Uuid('verificationId to answer with the `card.verified` webhook event'),
    name: Type.String(), idNumber: Type.String(), cardNumber: Type.String(),
  })),
});
export const CardFixQuery = Type.Object({ status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('repaid'), Type.Literal('cleared')])) }, { additionalProperties: false });
export const CardFixes = Type.Object({
  items: Type.Array(Type.Object({
    id: Uuid(), workerId: Uuid(), workerName: Type.String(), engagementId: Uuid(), employerId: Uuid(),
    reasonCode: Type.String({ description: 'AC01 wrong account | AC04 closed account | BE01 name/ID mismatch' }),
    amountFen: Fen(), payrollLineId: Type.Union([Uuid(), Type.Null()]), status: Type.String({ description: 'open | repaid | cleared (the line was paid otherwise before a card could be re-paid: nothing sent)' }),
    invalidCardMasked: Type.Union([Type.String(), Type.Null()]),
    rejectedEndToEndId: Type.Union([Type.String(), Type.Null()]), repayEndToEndId: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(), resolvedAt: Type.Union([Type.String(), Type.Null()]),
  })),
});
