import { Type } from 'typebox';
import { CountyCode, IsoDate, Str, Uuid } from '../platform/common.schemas.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const GradeT = Type.Union(['A', 'B', 'C', 'D'].map((g) => Type.Literal(g)), { description: 'Credit grade' });
const StatusT = Type.Union(['proposed', 'objected', 'listed', 'removed', 'expired', 'dismissed'].map((s) => Type.Literal(s)));
const ReasonT = Type.Union([Type.Literal('arrears_threshold'), Type.Literal('mass_incident')], { description: 'Listing criterion (人社部令第45号)' });

export const CreditReason = Type.Object({
  code: Type.String({ description: 'late_or_failed_payment | arrears_cases | open_arrears | gc_order_ignored | replenishment_overdue | unsigned_contracts | no_real_name | blacklisted' }),
  points: Type.Number({ description: 'Points deducted from 100' }),
  detail: Type.String(),
});

export const EntrySummary = Type.Object({
  id: Uuid(),
  status: StatusT,
  reason: ReasonT,
  reasonDetail: Type.String(),
  proposedOn: Type.String(),
  objectionDeadline: Type.String({ description: 'Last day an objection is accepted' }),
  listedOn: Nullable(Type.String()),
  expiresOn: Nullable(Type.String()),
  endedOn: Nullable(Type.String()),
  endReason: Nullable(Type.String()),
});

export const CompanyCredit = Type.Object({
  companyId: Uuid(),
  grade: GradeT,
  score: Type.Integer({ minimum: 0, maximum: 100 }),
  asOf: Type.String({ description: 'Date of the record the grade was computed from' }),
  blacklisted: Type.Boolean({ description: 'Currently on the wage-arrears blacklist' }),
  reasons: Type.Array(CreditReason),
  entries: Type.Array(EntrySummary, { description: 'Blacklist entries of the company, newest first' }),
  history: Type.Array(Type.Object({
    asOf: Type.String(), grade: GradeT, previousGrade: Nullable(GradeT), score: Type.Integer(),
    reasons: Type.Array(CreditReason), trigger: Nullable(Type.String()),
  }), { description: 'Grade changes, newest first' }),
});

/** 人社部令45号 Art. 5: the company is listed with its legal representative and the directly responsible persons. */
export const ResponsiblePerson = Type.Object({
  name: Str(50, 'Full name as on the identity document'),
  role: Type.Union([Type.Literal('legal_representative'), Type.Literal('principal_in_charge'), Type.Literal('directly_responsible')], {
    description: 'legal_representative 法定代表人 | principal_in_charge 直接负责的主管人员 | directly_responsible 其他直接责任人员' }),
}, { additionalProperties: false });
export const ResponsiblePersonsBody = Type.Object({
  persons: Type.Array(ResponsiblePerson, { maxItems: 20, description: 'Directly responsible persons; the legal representative is always listed' }),
}, { additionalProperties: false });

export const Entry = Type.Object({
  id: Uuid(),
  companyId: Uuid(),
  companyName: Type.String(),
  creditCode: Type.String(),
  legalRepresentative: Type.String({ description: 'Legal representative listed with the company (copied at proposal)' }),
  responsiblePersons: Type.Array(ResponsiblePerson, { description: 'Persons listed with the company (人社部令45号 Art. 5)' }),
  status: StatusT,
  reason: ReasonT,
  reasonDetail: Type.String(),
  basis: Type.Record(Type.String(), Type.Unknown(), { description: 'Threshold facts and the province band applied' }),
  caseIds: Type.Array(Uuid()),
  countyCode: Type.String(),
  proposedOn: Type.String(),
  proposedBy: Type.String(),
  objectionDeadline: Type.String(),
  listedOn: Nullable(Type.String()),
  expiresOn: Nullable(Type.String()),
  endedOn: Nullable(Type.String()),
  endReason: Nullable(Type.String()),
  objection: Nullable(Type.Object({
    id: Uuid(), filedOn: Type.String(), statement: Type.String(),
    evidence: Type.Array(Type.Object({ title: Type.String(), reference: Type.String() })),
    decision: Nullable(Type.String()), decidedOn: Nullable(Type.String()), decisionReason: Nullable(Type.String()),
  })),
  removalRequests: Type.Array(Type.Object({
    id: Uuid(), status: Type.String(), requestedOn: Type.String(), correctedOn: Type.String(), commitment: Type.String(),
    decidedOn: Nullable(Type.String()), decisionReason: Nullable(Type.String()),
  })),
});

export const ProposeBody = Type.Object(
  {
    companyId: Uuid('Company to propose'),
    countyCode: CountyCode('County of the inspector proposing (decides the province band and working days)'),
    reason: ReasonT,
    reasonDetail: Str(2000, 'Facts behind the proposal'),
    caseIds: Type.Optional(Type.Array(Uuid(), { maxItems: 200, description: 'Arrears cases behind the proposal' })),
    responsiblePersons: Type.Optional(Type.Array(ResponsiblePerson, { maxItems: 20, description: 'Directly responsible persons (the legal representative is added by itself)' })),
  },
  { additionalProperties: false },
);

export const ObjectionBody = Type.Object(
  {
    statement: Str(10_000, 'The company’s statement (陈述申辩)'),
    evidence: Type.Array(Type.Object({ title: Str(200), reference: Str(1000, 'Document reference or URL') }, { additionalProperties: false }), { maxItems: 50 }),
  },
  { additionalProperties: false },
);
export const ObjectionFiled = Type.Object({ id: Uuid(), entryId: Uuid(), filedOn: Type.String(), status: Type.Literal('objected') });

export const DecisionBody = Type.Object(
  {
    decision: Type.Union([Type.Literal('uphold_objection'), Type.Literal('dismiss_objection')]),
    reason: Str(2000, 'Why (kept in the audit log)'),
  },
  { additionalProperties: false },
);
export const ListBody = Type.Object({ reason: Type.Optional(Str(2000, 'Why (kept in the audit log)')) }, { additionalProperties: false });

export const RemovalBody = Type.Object(
  {
    commitment: Str(10_000, 'Written credit commitment (信用承诺)'),
    correctedOn: Type.Optional(IsoDate('Date of correction, only for entries without linked arrears cases')),
  },
  { additionalProperties: false },
);
export const RemovalDecisionBody = Type.Object(
  { decision: Type.Union([Type.Literal('approve'), Type.Literal('reject')]), reason: Str(2000, 'Why (kept in the audit log)') },
  { additionalProperties: false },
);
export const RemovalRequest = Type.Object({
  id: Uuid(), entryId: Uuid(), status: Type.String(), requestedOn: Type.String(), correctedOn: Type.String(), commitment: Type.String(),
  decidedOn: Nullable(Type.String()), decisionReason: Nullable(Type.String()),
});

export const PublishedEntry = Type.Object({
  id: Uuid(),
  companyId: Uuid(),
  companyName: Type.String(),
  creditCode: Type.String(),
  legalRepresentative: Type.String(),
  responsiblePersons: Type.Array(ResponsiblePerson),
  reason: Type.String(),
  reasonDetail: Type.String(),
  listedOn: Type.String(),
  expiresOn: Type.String(),
});

export const EvaluateBody = Type.Object({
  asOf: IsoDate('Date the sweep runs as of'),
  companyIds: Type.Optional(Type.Array(Uuid(), { minItems: 1, maxItems: 1000, description: 'Only these companies (a demo or a test acting on its own data); default all' })),
}, { additionalProperties: false });
export const EvaluateResult = Type.Object({
  asOf: Type.String(),
  expired: Type.Array(Uuid()),
  listed: Type.Array(Uuid()),
  proposed: Type.Array(Type.Object({ entryId: Uuid(), companyId: Uuid(), reason: Type.String(), rule: Nullable(Type.String()) })),
});
export const RecomputeBody = Type.Object(
  { asOf: IsoDate(), companyId: Type.Optional(Uuid('One company; all companies when absent')) },
  { additionalProperties: false },
);
export const RecomputeResult = Type.Object({
  computed: Type.Integer(),
  changed: Type.Array(Type.Object({ companyId: Uuid(), from: Nullable(GradeT), to: GradeT, score: Type.Integer() })),
});
