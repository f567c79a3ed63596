import { Type } from 'typebox';
import { CountyCode, Fen, IsoDate, IsoMonth, Str, Uuid } from '../platform/common.schemas.js';

export const INDUSTRIES = ['housing', 'transport', 'water', 'power', 'utilities', 'land'] as const;

const Phone = (description = 'Mobile or landline number') => Type.String({ pattern: '^[0-9+\\- ]{5,20}$', maxLength: 20, description });
const Account = Type.Object(
  { bankId: Uuid('Bank holding the account'), accountNumber: Type.String({ pattern: '^[0-9A-Za-z-]{4,40}$', maxLength: 40 }) },
  { additionalProperties: false },
);
const Manager = Type.Object({ name: Str(100, 'Labour-wage officer (劳资专管员)'), phone: Phone() }, { additionalProperties: false });

export const CreateBank = Type.Object(
  { name: Str(200, 'Bank name'), code: Type.String({ pattern: '^[A-Za-z0-9_-]{2,32}$', description: 'Short code used in the webhook URL' }) },
  { additionalProperties: false },
);
export const BankCreated = Type.Object({
  id: Uuid(),
  name: Type.String(),
  code: Type.String(),
  webhookSecret: Type.String({ description: 'whsec_… Standard Webhooks secret, shown once' }),
});
export const RotateSecret = Type.Object(
  { overlapHours: Type.Optional(Type.Integer({ minimum: 0, maximum: 720, description: 'How long the previous secret stays valid (default: policy banks.secretOverlapHours, 24)' })) },
  { additionalProperties: false },
);
export const SecretRotated = Type.Object({
  id: Uuid(),
  webhookSecret: Type.String({ description: 'The new secret, shown once' }),
  previousValidUntil: Type.String({ description: 'Until when the previous secret is still accepted (ISO instant)' }),
});

export const CreateCompany = Type.Object(
  {
    name: Str(200, 'Registered name'),
    creditCode: Type.String({ minLength: 1, maxLength: 18, description: 'Unified social credit code (GB 32100)' }),
    legalRepresentative: Str(100, 'Legal representative (法定代表人)'),
    contactPhone: Type.Optional(Phone()),
  },
  { additionalProperties: false },
);
export const Company = Type.Object({
  id: Uuid(),
  name: Type.String(),
  creditCode: Type.String(),
  legalRepresentative: Type.String(),
  contactPhoneMasked: Type.Union([Type.String(), Type.Null()]),
});

export const CreateProject = Type.Object(
  {
    name: Str(200, 'Project name'),
    countyCode: CountyCode(),
    industry: Type.Union(INDUSTRIES.map((i) => Type.Literal(i))),
    constructionUnitId: Uuid('Construction unit (建设单位)'),
    generalContractorId: Uuid('General contractor (总包)'),
    contractPriceFen: Fen('Construction contract price'),
    startDate: IsoDate(),
    plannedEndDate: IsoDate(),
    payday: Type.Integer({ minimum: 1, maximum: 28, description: 'Day of the month wages are paid' }),
    payMonth: Type.Optional(Type.Union([Type.Literal('previous'), Type.Literal('current')], { description: "Which month's wages the pay day pays: previous (次月发上月, default) or current (当月)" })),
    permitDate: Type.Optional(IsoDate('Construction permit (施工许可证) date: the deposit is due within the policy\'s working days of it (default 20); without it, of startDate')),
    laborManager: Manager,
    wageAccount: Account,
    depositAccount: Type.Optional(Account),
  },
  { additionalProperties: false },
);
export const DepositBreakdown = Type.Object({}, { additionalProperties: true, description: 'How the required deposit was computed' });
export const Project = Type.Object({
  id: Uuid(),
  name: Type.String(),
  countyCode: Type.String(),
  industry: Type.String(),
  constructionUnitId: Uuid(),
  generalContractorId: Uuid(),
  contractPriceFen: Fen(),
  startDate: Type.String(),
  plannedEndDate: Type.String(),
  payday: Type.Integer(),
  payMonth: Type.String({ description: 'previous | current: the setting of the latest period (a change applies from a wage month not yet begun)' }),
  payMonthEarlier: Type.Array(Type.Object({ until: Type.String({ description: 'YYYY-MM, last wage month of the period' }), payMonth: Type.String() }),
    { description: 'Earlier periods with another setting, ascending; a wage month uses the first period it falls in, else payMonth. Empty when never changed' }),
  permitDate: Type.Union([Type.String(), Type.Null()]),
  depositDueOn: Type.Union([Type.String({ description: 'permitDate (else startDate) + deposit.dueWorkingDays working days' }), Type.Null()]),
  wageAccount: Type.Object({ bankId: Uuid(), accountNumber: Type.String() }),
  depositAccount: Type.Union([Type.Object({ bankId: Uuid(), accountNumber: Type.String() }), Type.Null()]),
  depositRequiredFen: Fen(),
  depositPolicy: DepositBreakdown,
  status: Type.String(),
});

export const UpdateProject = Type.Object(
  {
    payMonth: Type.Optional(Type.Union([Type.Literal('previous'), Type.Literal('current')], { description: "Which month's wages the pay day pays from payMonthFrom on" })),
    payMonthFrom: Type.Optional(IsoMonth('First wage month the new setting applies to; default and earliest: the next month (China date). Months already begun keep theirs')),
  },
  { additionalProperties: false, minProperties: 1 },
);
export const ProjectUpdated = Type.Object({ ...Project.properties, changed: Type.Boolean({ description: 'false when the setting already was as asked (nothing written)' }) });

export const CreateSubcontract = Type.Object(
  {
    subcontractorId: Uuid('Subcontractor or labour company'),
    contractPriceFen: Fen(),
    parentCompanyId: Type.Optional(Uuid('Who lets the work: the GC (default) or a subcontractor sub-letting labour')),
    laborManager: Type.Optional(Manager),
  },
  { additionalProperties: false },
);
export const Subcontract = Type.Object({
  id: Uuid(),
  projectId: Uuid(),
  parentCompanyId: Uuid(),
  subcontractorId: Uuid(),
  contractPriceFen: Fen(),
});
