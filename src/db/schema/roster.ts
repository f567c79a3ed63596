import { sql } from 'drizzle-orm';
import { boolean, date, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { companies, projects } from './registry.js';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * A person, registered once platform-wide. The API's `workerId` is this id.
 * PII is encrypted (`*_enc`), looked up by HMAC blind index (`*_bidx`), shown masked (`*_masked`).
 */
export const workers = pgTable(
  'workers',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    idNumberEnc: text('id_number_enc').notNull(),
    idNumberBidx: text('id_number_bidx').notNull(),
    idNumberMasked: text('id_number_masked').notNull(),
    birthDate: date('birth_date', { mode: 'string' }).notNull(),
    gender: text('gender').notNull(),
    phoneEnc: text('phone_enc'),
    phoneMasked: text('phone_masked'),
    bankCardEnc: text('bank_card_enc').notNull(),
    bankCardBidx: text('bank_card_bidx').notNull(),
    bankCardMasked: text('bank_card_masked').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    /** Set by the retention job: name, ID, phone and card were replaced by the erasure marker. */
    erasedAt: ts('erased_at'),
  },
  // Card blind index: equality probes only, so a hash index (no string comparisons on insert; migration 0025).
  (t) => [uniqueIndex('workers_id_bidx_uq').on(t.idNumberBidx), index('workers_card_bidx_idx').using('hash', t.bankCardBidx)],
);

/** A worker's engagement on one project with one employer (the subcontractor or the GC). */
export const engagements = pgTable(
  'engagements',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id').notNull().references(() => projects.id),
    workerId: uuid('worker_id').notNull().references(() => workers.id),
    employerId: uuid('employer_id').notNull().references(() => companies.id),
    trade: text('trade').notNull(),
    team: text('team'),
    contractSigned: boolean('contract_signed').notNull(),
    dispatched: boolean('dispatched').notNull(),
    entryDate: date('entry_date', { mode: 'string' }).notNull(),
    exitDate: date('exit_date', { mode: 'string' }),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    // One active engagement per worker per project.
    uniqueIndex('engagements_active_uq').on(t.projectId, t.workerId).where(sql`exit_date IS NULL`),
    index('engagements_project_employer_idx').on(t.projectId, t.employerId),
    index('engagements_worker_idx').on(t.workerId),
  ],
);

/** Days present per worker, project and month; replaceable until that month's sheet is approved. */
export const attendance = pgTable(
  'attendance',
  {
    projectId: uuid('project_id').notNull().references(() => projects.id),
    month: text('month').notNull(),
    workerId: uuid('worker_id').notNull().references(() => workers.id),
    employerId: uuid('employer_id').notNull().references(() => companies.id),
    daysPresent: integer('days_present').notNull(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.month, t.workerId] })],
);
