import { bigint, date, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const fen = (name: string) => bigint(name, { mode: 'number' });

/**
 * An arrears complaint (欠薪线索). status: received | accepted | merged | rejected | resolved;
 * "unanswered" = received. The complainant's identity is encrypted and shown only to inspectors.
 */
export const complaints = pgTable('complaints', {
  id: uuid('id').notNull(),
  ref: text('ref').notNull(),
  projectId: uuid('project_id').notNull(),
  countyCode: text('county_code').notNull(),
  employerId: uuid('employer_id'),
  employerName: text('employer_name'),
  months: text('months').array().notNull(),
  amountClaimedFen: fen('amount_claimed_fen').notNull(),
  workersAffected: integer('workers_affected').notNull(),
  description: text('description').notNull(),
  channel: text('channel').notNull(), // web | worker | phone_12333 | walk_in | national_platform
  severity: text('severity').notNull(),
  complainantNameEnc: text('complainant_name_enc'),
  complainantPhoneEnc: text('complainant_phone_enc'),
  complainantPhoneBidx: text('complainant_phone_bidx'),
  complainantPhoneMasked: text('complainant_phone_masked'),
  workerId: uuid('worker_id'),
  tokenHash: text('token_hash'),
  status: text('status').notNull().default('received'),
  caseId: uuid('case_id'),
  dueOn: date('due_on', { mode: 'string' }).notNull(),
  answeredAt: ts('answered_at'),
  receivedOn: date('received_on', { mode: 'string' }).notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
}, (t) => [
  primaryKey({ name: 'complaints_pkey', columns: [t.id, t.projectId] }),
  uniqueIndex('complaints_ref_uq').on(t.ref, t.projectId),
  index('complaints_county_status_idx').on(t.countyCode, t.status, t.dueOn),
  index('complaints_project_idx').on(t.projectId),
  index('complaints_worker_idx').on(t.workerId),
  index('complaints_phone_idx').on(t.complainantPhoneBidx),
]);

/** Inspectors' decisions, each with the reply the complainant reads. */
export const complaintDecisions = pgTable('complaint_decisions', {
  id: uuid('id').notNull(),
  complaintId: uuid('complaint_id').notNull(),
  projectId: uuid('project_id').notNull(),
  action: text('action').notNull(),
  reply: text('reply').notNull(),
  caseId: uuid('case_id'),
  actor: text('actor').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
}, (t) => [primaryKey({ name: 'complaint_decisions_pkey', columns: [t.id, t.projectId] }), index('complaint_decisions_complaint_idx').on(t.complaintId, t.createdAt)]);

/** Phone-verification codes for public complainants (hash only). */
export const complaintCodes = pgTable('complaint_codes', {
  id: uuid('id').primaryKey(),
  phoneBidx: text('phone_bidx').notNull(),
  codeHash: text('code_hash').notNull(),
  failures: integer('failures').notNull().default(0),
  createdAt: ts('created_at').notNull(),
  expiresAt: ts('expires_at').notNull(),
  usedAt: ts('used_at'),
}, (t) => [index('complaint_codes_phone_idx').on(t.phoneBidx, t.createdAt)]);
