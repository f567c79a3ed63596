import { sql } from 'drizzle-orm';
import { date, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const day = (name: string) => date(name, { mode: 'string' });

/** The current credit grade of each company (one row per company, replaced on every recompute). */
export const companyCredit = pgTable('company_credit', {
  companyId: uuid('company_id').primaryKey(),
  grade: text('grade').notNull(), // A | B | C | D
  score: integer('score').notNull(),
  asOf: day('as_of').notNull(),
  reasons: jsonb('reasons').notNull().default([]),
  inputs: jsonb('inputs').notNull().default({}),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/** Grade history: one row per grade change, with the reasons that produced it. */
export const creditGrades = pgTable(
  'credit_grades',
  {
    id: uuid('id').primaryKey(),
    companyId: uuid('company_id').notNull(),
    asOf: day('as_of').notNull(),
    grade: text('grade').notNull(),
    previousGrade: text('previous_grade'),
    score: integer('score').notNull(),
    reasons: jsonb('reasons').notNull().default([]),
    inputs: jsonb('inputs').notNull().default({}),
    trigger: text('trigger'), // the event type or 'nightly' / 'manual'
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('credit_grades_company_idx').on(t.companyId, t.asOf)],
);

/**
 * A blacklist entry is born as a proposal and walks proposed → (objected →) listed → removed | expired,
 * or ends as dismissed (objection upheld). The registry's depositHistory reads
 * (company_id, status = 'listed', listed_on, expires_on). Legal representative and credit code are
 * copied at proposal time: the publication must show who was listed, even if the company changes later.
 */
export const blacklistEntries = pgTable(
  'blacklist_entries',
  {
    id: uuid('id').primaryKey(),
    companyId: uuid('company_id').notNull(),
    companyName: text('company_name').notNull(),
    creditCode: text('credit_code').notNull(),
    legalRepresentative: text('legal_representative').notNull(),
    status: text('status').notNull(), // proposed | objected | listed | removed | expired | dismissed
    reason: text('reason').notNull(), // arrears_threshold | mass_incident
    reasonDetail: text('reason_detail').notNull(),
    basis: jsonb('basis').notNull().default({}),
    /** 人社部令45号 Art. 5: the legal representative and the directly responsible persons listed with the company. */
    responsiblePersons: jsonb('responsible_persons').notNull().default([]),
    caseIds: uuid('case_ids').array().notNull().default(sql`'{}'::uuid[]`),
    countyCode: text('county_code').notNull(),
    proposedOn: day('proposed_on').notNull(),
    proposedBy: text('proposed_by').notNull(),
    objectionDeadline: day('objection_deadline').notNull(),
    listedOn: day('listed_on'),
    expiresOn: day('expires_on'),
    endedOn: day('ended_on'),
    endReason: text('end_reason'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    // One live entry per company: a second proposal while one is pending or listed is a conflict.
    uniqueIndex('blacklist_entries_live_uq').on(t.companyId).where(sql`status IN ('proposed', 'objected', 'listed')`),
    index('blacklist_entries_status_idx').on(t.status, t.expiresOn),
  ],
);

/** The company's statement and evidence against a proposal (陈述申辩) and the inspector's decision. */
export const blacklistObjections = pgTable(
  'blacklist_objections',
  {
    id: uuid('id').primaryKey(),
    entryId: uuid('entry_id').notNull().references(() => blacklistEntries.id),
    companyId: uuid('company_id').notNull(),
    filedOn: day('filed_on').notNull(),
    filedBy: text('filed_by').notNull(),
    statement: text('statement').notNull(),
    evidence: jsonb('evidence').notNull().default([]),
    decision: text('decision'), // uphold_objection | dismiss_objection
    decidedOn: day('decided_on'),
    decidedBy: text('decided_by'),
    decisionReason: text('decision_reason'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('blacklist_objections_entry_uq').on(t.entryId)],
);

/** Early-removal applications: paid arrears + 6 months since correction + a written credit commitment. */
export const blacklistRemovalRequests = pgTable(
  'blacklist_removal_requests',
  {
    id: uuid('id').primaryKey(),
    entryId: uuid('entry_id').notNull().references(() => blacklistEntries.id),
    companyId: uuid('company_id').notNull(),
    requestedOn: day('requested_on').notNull(),
    requestedBy: text('requested_by').notNull(),
    commitment: text('commitment').notNull(),
    correctedOn: day('corrected_on').notNull(),
    status: text('status').notNull(), // pending | approved | rejected
    decidedOn: day('decided_on'),
    decidedBy: text('decided_by'),
    decisionReason: text('decision_reason'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('blacklist_removal_requests_entry_idx').on(t.entryId),
    uniqueIndex('blacklist_removal_requests_pending_uq').on(t.entryId).where(sql`status = 'pending'`),
  ],
);
