import { Type } from 'typebox';
import { IsoDate, Str, Uuid } from '../platform/common.schemas.js';

const Status = Type.Union([Type.Literal('active'), Type.Literal('completing'), Type.Literal('completed'), Type.Literal('closed')]);
const NullableDate = Type.Union([IsoDate(), Type.Null()]);

export const Blocker = Type.Object({
  kind: Type.String({ maxLength: 40, description: 'engagement_open | final_line_missing | line_unpaid | case_open | complaint_unanswered | line_disputed' }),
  id: Type.Optional(Uuid('The engagement, line or case to act on')),
  message: Type.String({ maxLength: 500 }),
  link: Type.String({ maxLength: 300, description: 'API path of what to act on' }),
});

export const CompletionView = Type.Object({
  status: Status,
  completedOn: NullableDate,
  wageAccountClosedOn: NullableDate,
  closedOn: NullableDate,
  retainUntil: Type.Union([IsoDate('Personal data is kept until this date (then erased unless held)'), Type.Null()]),
  blockers: Type.Array(Blocker, { description: 'What stops the final settlement check (empty once completed)' }),
});

export const CompletionBody = Type.Object({ completedOn: IsoDate('竣工 date (today or earlier, not before the start)') }, { additionalProperties: false });
export const ReasonBody = Type.Object({ reason: Str(500, 'Why') }, { additionalProperties: false });
export const LineParams = Type.Object({ id: Uuid('Project id'), lineId: Uuid('Wage line id') });
export const HoldParams = Type.Object({ id: Uuid('Project id'), holdId: Uuid('Legal hold id') });
export const ExcuseOut = Type.Object({ lineId: Uuid(), excused: Type.Boolean(), reason: Type.String() });
export const LegalHold = Type.Object({
  id: Uuid(), projectId: Uuid(), reason: Type.String(), createdOn: IsoDate(), releasedAt: Type.Union([Type.String(), Type.Null()]),
});
export const LegalHoldList = Type.Object({ items: Type.Array(LegalHold) });
export const AsOfBody = Type.Object({ asOf: IsoDate('Run as of this date') }, { additionalProperties: false });
export const RetentionOut = Type.Object({
  asOf: IsoDate(),
  erased: Type.Array(Type.Object({ projectId: Uuid(), personsErased: Type.Integer(), personsKept: Type.Integer({ description: 'Persons kept because another retained project engages them' }), paymentInstructions: Type.Integer() })),
  kept: Type.Array(Type.Object({ projectId: Uuid(), retainUntil: IsoDate(), holds: Type.Array(Type.String()) }), { description: 'Due, but held' }),
  signals: Type.Object({ completionOverdue: Type.Integer(), finalLineMissing: Type.Integer() }),
  countyReports: Type.Array(Type.String(), { description: 'Counties whose previous-month report was generated and kept by this run' }),
});
