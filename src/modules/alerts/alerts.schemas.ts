import { Type } from 'typebox';
import { CountyCode, IsoMonth, Str, Uuid } from '../platform/common.schemas.js';
import { ALERT_TYPES, SEVERITIES } from './alert-catalogue.js';

const SeverityEnum = Type.Union(SEVERITIES.map((s) => Type.Literal(s)), { description: 'red (act now) | orange (rule broken) | yellow (worth a look)' });
const TypeName = Type.String({ maxLength: 64, pattern: '^[a-z_][a-z_.]*$', description: `Alert type, one of: ${Object.keys(ALERT_TYPES).join(', ')}` });
const NullableStr = (description: string) => Type.Union([Type.String(), Type.Null()], { description });

export const AlertSchema = Type.Object(
  {
    id: Uuid('Alert id (= the outbox event id, or derived from the state and date for resolves and digests; also the webhook-id of its deliveries)'),
    seq: Type.Integer({ description: 'Feed position; the SSE event id' }),
    type: Type.String({ description: 'Catalogue type (docs/alerts.md)' }),
    severity: SeverityEnum,
    countyCode: NullableStr('County the alert belongs to'),
    industry: NullableStr('Industry of the project'),
    projectId: Type.Union([Uuid(), Type.Null()]),
    companyId: Type.Union([Uuid(), Type.Null()], { description: 'Company concerned (event company, else the project GC)' }),
    message: Type.String({ description: 'Message in the requested language (`lang`, default zh)' }),
    messageZh: Type.String(),
    messageEn: Type.String(),
    link: NullableStr('API path of the resource concerned'),
    eventType: Type.String({ description: 'Outbox event that raised it' }),
    data: Type.Record(Type.String(), Type.Unknown(), { description: 'Event payload' }),
    createdAt: Type.String({ format: 'date-time' }),
    kind: Type.Union([Type.Literal('state'), Type.Literal('event'), Type.Literal('digest')], {
      description: 'state: a lasting condition (news on begin, severity change and resolve); event: a fact; digest: the daily summary of a county\'s open states',
    }),
    transition: Type.Union([Type.Literal('begin'), Type.Literal('escalate'), Type.Literal('resolve'), Type.Null()], { description: 'For state alerts: what happened to the state' }),
    stateKey: NullableStr('For state alerts: the state (type + subject) its begin, escalations and resolve share'),
    label: Type.String({ description: 'Short name of the type in the requested language' }),
    projectName: NullableStr('Name of the project'),
    employerName: NullableStr('Name of the company concerned'),
    countyName: NullableStr('Name of the county (GB/T 2260)'),
  },
  { description: 'An inspector alert' },
);

export const FeedFilterQuery = {
  countyCode: Type.Optional(CountyCode('Only this county (within your scope)')),
  type: Type.Optional(TypeName),
  severity: Type.Optional(SeverityEnum),
  projectId: Type.Optional(Uuid('Only this project')),
  companyId: Type.Optional(Uuid('Only this company')),
  since: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'Only alerts created at or after this instant' })),
  kind: Type.Optional(Type.Union([Type.Literal('state'), Type.Literal('event'), Type.Literal('digest')], { description: 'Only state alerts (begin/escalate/resolve), events, or digests' })),
  lang: Type.Optional(Type.Union([Type.Literal('zh'), Type.Literal('en')], { description: 'Language of `message` (default zh)' })),
};

export const FeedQuery = Type.Object({
  ...FeedFilterQuery,
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100, description: 'Page size (≤ 500)' })),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'Opaque cursor from the previous page' })),
});

export const FeedPage = Type.Object({
  items: Type.Array(AlertSchema),
  nextCursor: Type.String({ description: 'Never null for a feed: poll again with it to get alerts written since' }),
  hasMore: Type.Boolean({ description: 'More alerts are waiting right now' }),
});

export const StreamQuery = Type.Object({
  ...FeedFilterQuery,
  lastEventId: Type.Optional(Type.String({ maxLength: 20, pattern: '^\\d+$', description: 'Resume point for clients that cannot set the Last-Event-ID header' })),
});

export const SubscriptionBody = Type.Object(
  {
    url: Type.String({ minLength: 8, maxLength: 2000, description: 'https (or http) endpoint; private and loopback targets are refused' }),
    types: Type.Optional(Type.Array(TypeName, { maxItems: 100, description: 'Only these alert types (default all)' })),
    countyCodes: Type.Optional(Type.Array(CountyCode(), { maxItems: 200, description: 'Only these counties (inspector: within its own; default all of them)' })),
    severities: Type.Optional(Type.Array(SeverityEnum, { maxItems: 3 })),
  },
  { additionalProperties: false },
);

export const SubscriptionSchema = Type.Object(
  {
    id: Uuid(),
    url: Type.String(),
    types: Type.Array(Type.String()),
    countyCodes: Type.Array(Type.String()),
    severities: Type.Array(Type.String()),
    status: Type.String({ description: 'active | paused (consecutive failures) | disabled (receiver answered 410)' }),
    statusReason: NullableStr('Why it is not active'),
    consecutiveFailures: Type.Integer(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { description: 'A webhook subscription' },
);

export const SubscriptionCreated = Type.Object({
  ...SubscriptionSchema.properties,
  secret: Type.String({ description: '`whsec_…` signing secret (Standard Webhooks); shown once' }),
});

export const DeliverySchema = Type.Object({
  seq: Type.Integer(),
  alertId: Uuid(),
  attempt: Type.Integer(),
  status: Type.String({ description: 'delivered | failed | disabled | skipped | gave_up' }),
  responseStatus: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  durationMs: Type.Union([Type.Integer(), Type.Null()]),
  nextAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  attemptedAt: Type.String({ format: 'date-time' }),
});

export const ReplayBody = Type.Object(
  {
    alertIds: Type.Optional(Type.Array(Uuid(), { minItems: 1, maxItems: 500 })),
    since: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'Replay every matching alert created since' })),
  },
  { additionalProperties: false },
);

const RatioProps = {
  numerator: Type.Number(),
  denominator: Type.Number(),
  rate: Type.Union([Type.Number(), Type.Null()], { description: 'numerator ÷ denominator (4 decimals); null when nothing to measure' }),
};
const Counts = Type.Record(Type.String(), Type.Integer());

export const MonthComplianceSchema = Type.Object({
  month: IsoMonth(),
  clearance: Type.Object({ ...RatioProps, amountOwedFen: Type.Integer(), amountClearedFen: Type.Integer(), targetRate: Type.Number(), meetsTarget: Type.Union([Type.Boolean(), Type.Null()]), available: Type.Boolean() }),
  onTimePayment: Type.Object({ ...RatioProps, linesByStatus: Counts }),
  contractSigning: Type.Object({ ...RatioProps, targetRate: Type.Union([Type.Number(), Type.Null()]) }),
  dispatchedShare: Type.Object({ ...RatioProps, capRate: Type.Number(), overCap: Type.Boolean() }),
  depositCoverage: Type.Object({
    ...RatioProps, requiredFen: Type.Integer(), cashFen: Type.Integer(), guaranteeFen: Type.Integer(), coveredFen: Type.Integer(),
    projectsCovered: Type.Integer(), projectsRequiring: Type.Integer(),
  }),
  openCasesByStage: Counts,
});

export const ComplianceQuery = Type.Object({
  countyCode: CountyCode(),
  month: IsoMonth('Month reported (YYYY-MM)'),
  months: Type.Optional(Type.Integer({ minimum: 1, maximum: 24, default: 1, description: 'Length of the month-by-month series ending with `month`' })),
});

export const ComplianceResult = Type.Object({
  countyCode: Type.String(),
  ...MonthComplianceSchema.properties,
  series: Type.Array(MonthComplianceSchema, { description: 'Month by month, oldest first, ending with `month`' }),
});

export const SubIdParams = Type.Object({ id: Uuid('Subscription id') });
export const DeliveriesQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  cursor: Type.Optional(Str(200, 'Opaque cursor from the previous page')),
});
