import { sql } from 'drizzle-orm';
import { bigint, bigserial, date, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * Inspector alerts, materialised from outbox events by the relay hook (src/modules/alerts/alert-relay.hook.ts).
 * `id` is the outbox event id, so an event yields at most one alert. `seq` orders the feed: only the relay
 * inserts here, one transaction at a time under its advisory lock, so seq order is commit order.
 * Month-partitioned on `created_at` (migration 0082); ids are unique for ever through `alert_ids`.
 */
export const alerts = pgTable(
  'alerts',
  {
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    id: uuid('id').notNull(),
    type: text('type').notNull(),
    severity: text('severity').notNull(), // red | orange | yellow
    eventType: text('event_type').notNull(),
    countyCode: text('county_code'),
    industry: text('industry'),
    projectId: uuid('project_id'),
    companyId: uuid('company_id'),
    /** Alerts addressed to one API key (e.g. its webhook subscription was paused). */
    ownerKeyId: uuid('owner_key_id'),
    messageZh: text('message_zh').notNull(),
    messageEn: text('message_en').notNull(),
    link: text('link'),
    data: jsonb('data').notNull().default({}),
    createdAt: ts('created_at').notNull().defaultNow(),
    /** The outbox event this alert came from (resolve and digest alerts have ids of their own). */
    eventId: uuid('event_id'),
    /** state | event | digest (alert-catalogue.ts). */
    kind: text('kind').notNull().default('event'),
    /** For state alerts: begin | escalate | resolve. */
    transition: text('transition'),
    stateKey: text('state_key'),
  },
  (t) => [
    primaryKey({ name: 'alerts_pkey', columns: [t.seq, t.createdAt] }),
    index('alerts_id_idx').on(t.id),
    index('alerts_event_id_idx').on(t.eventId),
    index('alerts_county_seq_idx').on(t.countyCode, t.seq),
    index('alerts_industry_seq_idx').on(t.industry, t.seq),
    index('alerts_company_seq_idx').on(t.companyId, t.seq),
    index('alerts_project_seq_idx').on(t.projectId, t.seq),
    index('alerts_owner_seq_idx').on(t.ownerKeyId, t.seq).where(sql`owner_key_id IS NOT NULL`),
  ],
);

/** Every alert id ever made, with where its row lives (unpartitioned; written by the alerts' trigger). */
export const alertIds = pgTable('alert_ids', {
  id: uuid('id').primaryKey(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  createdAt: ts('created_at').notNull(),
});

/**
 * Webhook subscriptions. The owner's scope is copied at creation (role, counties, industries) so the
 * delivery matcher needs no join to api_keys. `startSeq`: only alerts after the subscription are sent.
 * status: active | paused (too many consecutive failures) | disabled (receiver answered 410) | deleted.
 */
export const alertSubscriptions = pgTable(
  'alert_subscriptions',
  {
    id: uuid('id').primaryKey(),
    ownerKeyId: text('owner_key_id').notNull(),
    ownerRole: text('owner_role').notNull(),
    ownerCountyCodes: text('owner_county_codes').array().notNull().default(sql`'{}'::text[]`),
    ownerIndustries: text('owner_industries').array().notNull().default(sql`'{}'::text[]`),
    /** A contractor owner's company, copied at creation: deliveries follow the contractors' alert scope. */
    ownerCompanyId: uuid('owner_company_id'),
    url: text('url').notNull(),
    /** `whsec_…` encrypted with the PII cipher (it must be recoverable to sign). */
    secretEnc: text('secret_enc').notNull(),
    types: text('types').array().notNull().default(sql`'{}'::text[]`),
    countyCodes: text('county_codes').array().notNull().default(sql`'{}'::text[]`),
    severities: text('severities').array().notNull().default(sql`'{}'::text[]`),
    status: text('status').notNull().default('active'),
    statusReason: text('status_reason'),
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    startSeq: bigint('start_seq', { mode: 'number' }).notNull().default(0),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('alert_subscriptions_owner_idx').on(t.ownerKeyId), index('alert_subscriptions_active_idx').on(t.status)],
);

/**
 * One row per delivery attempt (the delivery log). status: delivered | failed | disabled | skipped | gave_up.
 * Range-partitioned by month on attempted_at (migration 0067; partitions made ahead and detached after
 * their retention by src/modules/partitions), hence the key (seq, attempted_at).
 */
export const alertDeliveries = pgTable(
  'alert_deliveries',
  {
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    subscriptionId: uuid('subscription_id').notNull(),
    alertId: uuid('alert_id').notNull(),
    jobId: text('job_id').notNull(),
    attempt: integer('attempt').notNull(),
    status: text('status').notNull(),
    responseStatus: integer('response_status'),
    error: text('error'),
    durationMs: integer('duration_ms'),
    nextAttemptAt: ts('next_attempt_at'),
    attemptedAt: ts('attempted_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'alert_deliveries_pkey', columns: [t.seq, t.attemptedAt] }),
    index('alert_deliveries_sub_idx').on(t.subscriptionId, t.seq), index('alert_deliveries_job_idx').on(t.jobId),
  ],
);

/** Open (and last resolved) alert states, one row per subject; see alert-states.rules.ts. */
export const alertStates = pgTable(
  'alert_states',
  {
    stateKey: text('state_key').primaryKey(),
    type: text('type').notNull(),
    severity: text('severity').notNull(),
    countyCode: text('county_code'),
    industry: text('industry'),
    projectId: uuid('project_id'),
    companyId: uuid('company_id'),
    openedOn: date('opened_on', { mode: 'string' }).notNull(),
    lastSeenOn: date('last_seen_on', { mode: 'string' }).notNull(),
    resolvedOn: date('resolved_on', { mode: 'string' }),
    beginAlertId: uuid('begin_alert_id').notNull(),
    lastDigestOn: date('last_digest_on', { mode: 'string' }),
    data: jsonb('data').notNull().default({}),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('alert_states_open_idx').on(t.countyCode, t.type).where(sql`resolved_on IS NULL`)],
);
