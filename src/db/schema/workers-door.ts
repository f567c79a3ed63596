import { index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Code requests per subject (`id:<bidx>` or `phone:<bidx>`) for the 1/min and 5/h limits. */
export const workerAuthRequests = pgTable('worker_auth_requests', { subject: text('subject').notNull(), at: ts('at').notNull() },
  (t) => [index('worker_auth_requests_subject_idx').on(t.subject, t.at)]);

/** Sign-in codes (only a hash is kept). A request for a pair not on file stores a code nobody received. */
export const workerAuthCodes = pgTable('worker_auth_codes', {
  id: uuid('id').primaryKey(),
  pairKey: text('pair_key').notNull(),
  workerId: uuid('worker_id'),
  codeHash: text('code_hash').notNull(),
  createdAt: ts('created_at').notNull(),
  expiresAt: ts('expires_at').notNull(),
  usedAt: ts('used_at'),
}, (t) => [index('worker_auth_codes_pair_idx').on(t.pairKey, t.createdAt)]);

/** Wrong-code counter and lock per (ID, phone) pair. */
export const workerAuthLocks = pgTable('worker_auth_locks', {
  pairKey: text('pair_key').primaryKey(),
  failures: integer('failures').notNull().default(0),
  lockedUntil: ts('locked_until'),
});

/** Worker sessions: the token's SHA-256 is the id; idle expiry slides with use; revocable. */
export const workerSessions = pgTable('worker_sessions', {
  id: text('id').primaryKey(),
  workerId: uuid('worker_id').notNull(),
  createdAt: ts('created_at').notNull(),
  lastSeenAt: ts('last_seen_at').notNull(),
  expiresAt: ts('expires_at').notNull(),
  revokedAt: ts('revoked_at'),
  /** Blind index of the phone that signed in: the session sees only engagements under that phone (migration 0071). */
  phoneBidx: text('phone_bidx'),
}, (t) => [index('worker_sessions_worker_idx').on(t.workerId)]);

/**
 * A worker's answer to a pay-slip line: received | not_received | amount_wrong. The latest answer
 * counts; a dispute stays until an inspector clears it (`cleared_at`). `line_status` is the bank
 * status the worker saw when answering (a dispute of a `paid` line is the wrong-card signal).
 */
export const payslipAnswers = pgTable('payslip_answers', {
  id: uuid('id').notNull(),
  projectId: uuid('project_id').notNull(),
  lineId: uuid('line_id').notNull(),
  workerId: uuid('worker_id').notNull(),
  answer: text('answer').notNull(),
  note: text('note'),
  lineStatus: text('line_status').notNull(),
  clearedAt: ts('cleared_at'),
  clearedBy: text('cleared_by'),
  createdAt: ts('created_at').notNull().defaultNow(),
}, (t) => [primaryKey({ name: 'payslip_answers_pkey', columns: [t.id, t.projectId] }), index('payslip_answers_line_idx').on(t.lineId, t.createdAt), index('payslip_answers_project_idx').on(t.projectId)]);

/** Settled lines whose worker has no phone on file (the settle-notice query skips them). */
export const payslipSmsSkips = pgTable('payslip_sms_skips', { lineId: uuid('line_id').primaryKey() });
