import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, date, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** API keys: only a SHA-256 of the key is stored; the key itself is shown once. */
export const apiKeys = pgTable('api_keys', {
  id: uuid('id').primaryKey(),
  keyHash: text('key_hash').notNull().unique(),
  prefix: text('prefix').notNull(),
  role: text('role').notNull(), // admin | contractor | bank | inspector | regulator
  companyId: uuid('company_id'),
  bankId: uuid('bank_id'),
  countyCodes: text('county_codes').array().notNull().default(sql`'{}'::text[]`),
  industries: text('industries').array().notNull().default(sql`'{}'::text[]`),
  label: text('label').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  revokedAt: ts('revoked_at'),
});

/** Stripe-style idempotency: same principal + key + body → same stored response. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    principal: text('principal').notNull(),
    key: text('key').notNull(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    requestHash: text('request_hash').notNull(),
    state: text('state').notNull(), // running | done
    responseStatus: integer('response_status'),
    responseBody: text('response_body'),
    responseType: text('response_type'),
    createdAt: ts('created_at').notNull().defaultNow(),
    lockedUntil: ts('locked_until'),
    /** The response held a secret: response_body has it blanked, and a replay answers 409. */
    secretWithheld: boolean('secret_withheld').notNull().default(false),
  },
  (t) => [primaryKey({ columns: [t.principal, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
);

/**
 * Append-only, hash-chained audit log (UPDATE/DELETE rejected by a trigger). Month-partitioned on
 * `logged_at` (migration 0083), never detached; the chain links rows by seq across months.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    at: ts('at').notNull(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id'),
    projectId: uuid('project_id'),
    data: jsonb('data').notNull().default({}),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
    /** 'hmac-sha256' (keyed, from migration 0040 on) or 'sha256' (rows written before). */
    alg: text('alg').notNull().default('hmac-sha256'),
    /** The server's time of the insert: the partition key (`at` is the caller's, and hashed). */
    loggedAt: ts('logged_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'audit_log_pkey', columns: [t.seq, t.loggedAt] }), index('audit_log_entity_idx').on(t.entityType, t.entityId)],
);

/** Signed daily checkpoints of the audit chain (append-only). */
export const auditCheckpoints = pgTable('audit_checkpoints', {
  day: date('day').primaryKey(),
  lastSeq: bigint('last_seq', { mode: 'number' }).notNull(),
  headHash: text('head_hash').notNull(),
  keyId: text('key_id').notNull(),
  signature: text('signature').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

/**
 * Transactional outbox. Written in the business transaction; the relay (workers) hands each
 * event to BullMQ exactly once (job id = event id) in `seq` order and stamps `relayed_at`.
 * Month-partitioned on `created_at` (migration 0081); an id is unique for ever through `outbox_ids`,
 * claimed by a BEFORE INSERT trigger that skips an id emitted before.
 */
export const outbox = pgTable(
  'outbox',
  {
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    id: uuid('id').notNull(),
    type: text('type').notNull(),
    projectId: uuid('project_id'),
    companyId: uuid('company_id'),
    countyCode: text('county_code'),
    payload: jsonb('payload').notNull().default({}),
    createdAt: ts('created_at').notNull().defaultNow(),
    /** Relay hooks (alerts) committed for this event; set before it is handed to BullMQ. */
    hookedAt: ts('hooked_at'),
    relayedAt: ts('relayed_at'),
  },
  (t) => [primaryKey({ name: 'outbox_pkey', columns: [t.seq, t.createdAt] }), index('outbox_unrelayed_idx').on(t.seq).where(sql`relayed_at IS NULL`)],
);

/** Every outbox event id ever emitted, with where its row lives (unpartitioned; written by the outbox's trigger). */
export const outboxIds = pgTable('outbox_ids', {
  id: uuid('id').primaryKey(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  createdAt: ts('created_at').notNull(),
});

/**
 * Policy settings: scope is `default`, a 2-digit province, a 4-digit city or a 6-digit county code; the most
 * specific scope wins. Values are JSON so each module keeps its own typed shape. Dated (migration 0073): for
 * each scope and key the row with the latest `effective_from` on or before the date asked is in force.
 */
export const policySettings = pgTable(
  'policy_settings',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    value: jsonb('value').notNull(),
    effectiveFrom: date('effective_from', { mode: 'string' }).notNull().default('1970-01-01'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key, t.effectiveFrom] })],
);

/** Official calendar adjustments: public holidays and make-up workdays (调休). */
export const calendarDays = pgTable(
  'calendar_days',
  {
    day: date('day', { mode: 'string' }).notNull(),
    kind: text('kind').notNull(), // holiday | workday
    scope: text('scope').notNull().default('default'),
    name: text('name'),
  },
  (t) => [primaryKey({ columns: [t.scope, t.day] })],
);

/** Per-job idempotency marks for side effects that are not naturally keyed. */
export const jobRuns = pgTable('job_runs', {
  key: text('key').primaryKey(),
  finished: boolean('finished').notNull().default(false),
  result: jsonb('result'),
  at: ts('at').notNull().defaultNow(),
  attempts: integer('attempts').notNull().default(0),
});

/** Minimum wages as dated values per scope (county, 4-digit city, province, default); code ships Songyuan's. */
export const minimumWages = pgTable(
  'minimum_wages',
  {
    scope: text('scope').notNull(),
    effectiveFrom: date('effective_from', { mode: 'string' }).notNull(),
    monthlyFen: bigint('monthly_fen', { mode: 'number' }).notNull(),
    hourlyFen: bigint('hourly_fen', { mode: 'number' }).notNull(),
    source: text('source').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.effectiveFrom] })],
);
