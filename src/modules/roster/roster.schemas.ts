import { Type } from 'typebox';
import { IsoDate, IsoMonth, Page, PageQuery, Str, Uuid } from '../platform/common.schemas.js';

export const RegisterWorker = Type.Object(
  {
    name: Str(100, 'Real name (姓名)'),
    idNumber: Type.String({ minLength: 1, maxLength: 18, description: 'Resident ID number (GB 11643)' }),
    phone: Type.Optional(Type.Union([Type.String({ maxLength: 20 }), Type.Null()], { description: 'Mobile number (null or absent: none)' })),
    bankCardNumber: Type.String({ minLength: 1, maxLength: 23, description: "The worker's own bank card (16–19 digits)" }),
    employerId: Uuid('The employing company: the GC or a subcontractor of this project'),
    trade: Str(50, 'Trade (工种)'),
    team: Type.Optional(Type.Union([Type.String({ maxLength: 50 }), Type.Null()], { description: 'Team (班组); null or absent: none' })),
    contractSigned: Type.Boolean({ description: 'Labour contract signed' }),
    dispatched: Type.Boolean({ description: 'Dispatched worker (劳务派遣)' }),
    entryDate: IsoDate('First day on site'),
  },
  { additionalProperties: false },
);

export const WarningSchema = Type.Object({
  code: Type.String({ description: 'card_luhn | card_shared | over_age (under 16 is a 422, not a warning)' }),
  path: Type.String(),
  message: Type.String(),
});

export const WorkerRegistered = Type.Object({
  id: Uuid('workerId'),
  engagementId: Uuid(),
  projectId: Uuid(),
  employerId: Uuid(),
  name: Type.String(),
  idNumberMasked: Type.String({ description: 'e.g. 2207**********123X' }),
  bankCardMasked: Type.String({ description: 'e.g. 6222 **** **** 1234' }),
  warnings: Type.Array(WarningSchema),
});

export const WorkerItem = Type.Object({
  id: Uuid('workerId'),
  engagementId: Uuid(),
  name: Type.String(),
  idNumberMasked: Type.String(),
  bankCardMasked: Type.String(),
  phoneMasked: Type.Union([Type.String(), Type.Null()]),
  gender: Type.String(),
  birthDate: Type.String(),
  employerId: Uuid(),
  trade: Type.String(),
  team: Type.Union([Type.String(), Type.Null()]),
  contractSigned: Type.Boolean(),
  dispatched: Type.Boolean(),
  entryDate: Type.String(),
  exitDate: Type.Union([Type.String(), Type.Null()]),
});
export const WorkerPage = Page(WorkerItem);
export const WorkerListQuery = Type.Object({
  ...PageQuery,
  employerId: Type.Optional(Uuid('Only this employer')),
  active: Type.Optional(Type.Boolean({ description: 'true: only workers still on site' })),
}, { additionalProperties: false });

export const WorkerPii = Type.Object({
  id: Uuid(),
  name: Type.String(),
  idNumber: Type.Optional(Type.String()),
  bankCardNumber: Type.Optional(Type.String()),
  phone: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});
export const PiiQuery = Type.Object({
  fields: Type.Optional(Type.String({ maxLength: 60, pattern: '^(idNumber|bankCardNumber|phone)(,(idNumber|bankCardNumber|phone))*$', description: 'Comma-separated: idNumber,bankCardNumber,phone (default all)' })),
}, { additionalProperties: false });

export const ExitBody = Type.Object({ exitDate: IsoDate('Last day on site') }, { additionalProperties: false });
export const Exited = Type.Object({ workerId: Uuid(), engagementId: Uuid(), employerId: Uuid(), entryDate: Type.String(), exitDate: Type.String() });
export const WorkerParams = Type.Object({ id: Uuid('Project id'), workerId: Uuid() });

export const AttendanceBody = Type.Object(
  {
    month: IsoMonth(),
    entries: Type.Array(Type.Object({ workerId: Uuid(), daysPresent: Type.Integer({ minimum: 0, maximum: 31 }) }, { additionalProperties: false }), { minItems: 1, maxItems: 5000 }),
  },
  { additionalProperties: false },
);
export const AttendanceRecorded = Type.Object({ projectId: Uuid(), month: Type.String(), recorded: Type.Integer() });
export const AttendanceQuery = Type.Object({ month: IsoMonth() }, { additionalProperties: false });
export const AttendanceList = Type.Object({
  month: Type.String(),
  entries: Type.Array(Type.Object({ workerId: Uuid(), employerId: Uuid(), daysPresent: Type.Integer() })),
});
