import { Type } from 'typebox';
import { CountyCode, Fen, IsoDate, IsoMonth, PageQuery, Str, Uuid } from '../platform/common.schemas.js';
import { STAGES } from './enforcement.rules.js';

const Stage = Type.Union(STAGES.map((s) => Type.Literal(s)), { description: 'Escalation stage' });
const NullableDate = (d: string) => Type.Union([IsoDate(d), Type.Null()]);

export const SweepBody = Type.Object({
  asOf: IsoDate('Run the sweep as of this date'),
  companyIds: Type.Optional(Type.Array(Uuid(), { minItems: 1, maxItems: 1000, description: 'Limit the credit steps (blacklist sweep, grades) to these companies: a demo or test replaying dates must not regrade everyone as of the past. Enforcement runs for all projects (idempotent per date).' })),
}, { additionalProperties: false });

export const SweepResultSchema = Type.Object({
  asOf: IsoDate(),
  opened: Type.Array(Type.Object({ caseId: Uuid(), projectId: Uuid(), employerId: Uuid(), month: IsoMonth() }), { description: 'Cases opened on asOf (first 1000)' }),
  escalated: Type.Array(Type.Object({ caseId: Uuid(), stage: Stage }), { description: 'Stage changes on asOf (first 1000)' }),
  closed: Type.Array(Uuid(), { description: 'Cases closed on asOf (first 1000)' }),
  counts: Type.Object({ opened: Type.Integer(), escalated: Type.Integer(), closed: Type.Integer(), openCases: Type.Integer() }),
  signals: Type.Record(Type.String(), Type.Integer(), { description: 'Subjects each signal found on asOf' }),
  credit: Type.Optional(Type.Object({
    proposed: Type.Integer({ description: 'Blacklist proposals dated asOf' }),
    listed: Type.Integer({ description: 'Entries listed on asOf' }),
    expired: Type.Integer({ description: 'Listings that expired on asOf' }),
    gradesChanged: Type.Integer({ description: 'Credit grade changes recorded for asOf' }),
  }, { description: 'The credit step of the sweep: blacklist evaluation and grade recomputation' })),
});

const CaseFields = {
  projectName: Type.String({ description: 'Name of the project' }),
  employerName: Type.String({ description: 'Name of the employer owing the wages' }),
  generalContractorName: Type.String({ description: 'Name of the general contractor' }),
  countyName: Type.String({ description: 'Name of the county (GB/T 2260)' }),
  id: Uuid(), projectId: Uuid(), employerId: Uuid(), generalContractorId: Uuid(), constructionUnitId: Uuid(),
  countyCode: Type.String(), industry: Type.String(), month: IsoMonth(), stage: Stage,
  status: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
  origin: Type.String({ description: 'lines (unpaid lines) | not_submitted (no wage sheet by the pay day)' }),
  workersOwed: Type.Integer({ description: 'Workers owed in this case (including those paid since)' }),
  workersUnpaid: Type.Integer({ description: 'Workers still waiting' }),
  amountOwedFen: Fen('Arrears recognised in this case'), amountClearedFen: Fen('Paid since, by anyone'), amountOutstandingFen: Fen(),
  payDate: IsoDate(), openedOn: IsoDate(), deadline: NullableDate('Deadline of the current stage (working days, holidays excluded)'),
  gcOrderIssuedOn: NullableDate('When the GC was ordered to pay first'), gcOrderIgnored: Type.Boolean(),
  depositNoticeId: Type.Union([Type.String(), Type.Null()]), replenishmentOverdueOn: NullableDate('When the deposit replenishment became overdue'),
  massIncident: Type.Boolean(), closedOn: NullableDate('When every owed worker was paid'),
  clearedBy: Type.Record(Type.String(), Type.Integer(), { description: 'Fen paid per payer: employer | gc | construction_unit | deposit' }),
  responsible: Type.Record(Type.String(), Type.Unknown(), { description: 'direct (employer), total (GC), constructionUnit (missed allocation, capFen)' }),
};
export const CaseSchema = Type.Object(CaseFields);

export const CaseDetail = Type.Object({
  ...CaseFields,
  timeline: Type.Array(Type.Object({ stage: Type.String(), on: IsoDate(), deadline: NullableDate('Stage deadline'), actor: Type.String(), note: Type.Union([Type.String(), Type.Null()]) })),
  workers: Type.Array(Type.Object({
    workerId: Uuid(), name: Type.String(), idNumberMasked: Type.String(), lineId: Type.Union([Uuid(), Type.Null()]), lineStatus: Type.Union([Type.String(), Type.Null()]),
    amountOwedFen: Fen(), amountPaidFen: Fen(), paidBy: Type.Union([Type.String(), Type.Null()]), sinceMonth: IsoMonth(),
  })),
  payments: Type.Array(Type.Object({ batchId: Uuid(), kind: Type.String(), workerId: Uuid(), lineId: Uuid(), amountFen: Fen(), status: Type.String() })),
});

export const CaseQuery = Type.Object({
  countyCode: Type.Optional(CountyCode()),
  status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('closed')])),
  stage: Type.Optional(Stage),
  projectId: Type.Optional(Uuid()),
  month: Type.Optional(IsoMonth()),
  companyId: Type.Optional(Uuid('Only cases where this company is the employer or the general contractor')),
  lang: Type.Optional(Type.Union([Type.Literal('zh'), Type.Literal('en')], { description: 'Language of countyName (default zh)' })),
  ...PageQuery,
});

export const AsOfBody = Type.Object({ asOf: Type.Optional(IsoDate('Business date of the action (default: today)')) }, { additionalProperties: false });
export const MassIncidentBody = Type.Object({ note: Str(2000, 'What happened'), asOf: Type.Optional(IsoDate()) }, { additionalProperties: false });
export const GcPaymentBody = Type.Object({
  debtorAccount: Str(64, "The GC's own account the money leaves from"),
  bankId: Type.Optional(Uuid('Bank executing the payment (default: the wage-account bank)')),
  asOf: Type.Optional(IsoDate('Requested execution date (default: today)')),
}, { additionalProperties: false });

export const StageChange = Type.Object({ caseId: Uuid(), stage: Stage, deadline: NullableDate('New stage deadline'), batchId: Type.Optional(Type.Union([Uuid(), Type.Null()])) });
export const GcPaymentOut = Type.Object({ caseId: Uuid(), batchId: Uuid(), lineCount: Type.Integer(), totalFen: Fen(), status: Type.String() });

export const ClearanceQuery = Type.Object({ countyCode: Type.Optional(CountyCode()), month: Type.Optional(IsoMonth()), industry: Type.Optional(Str(32)) });
export const ClearanceOut = Type.Object({
  targetBp: Type.Integer({ description: 'Policy target (basis points)' }),
  items: Type.Array(Type.Object({
    countyCode: Type.String(), industry: Type.String(), month: IsoMonth(), cases: Type.Integer(), openCases: Type.Integer(),
    amountOwedFen: Fen(), amountClearedFen: Fen(), rateBp: Type.Integer({ description: 'cleared ÷ owed in basis points' }), caseIds: Type.Array(Uuid()),
  })),
});
