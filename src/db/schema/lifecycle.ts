import { date, index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { projects } from './registry.js';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** An inspector's legal hold: the project's personal data outlives its retention date while open. */
export const legalHolds = pgTable(
  'legal_holds',
  {
    id: uuid('id').notNull(),
    projectId: uuid('project_id').notNull().references(() => projects.id),
    reason: text('reason').notNull(),
    createdBy: text('created_by').notNull(),
    createdOn: date('created_on', { mode: 'string' }).notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    releasedAt: ts('released_at'),
  },
  (t) => [primaryKey({ name: 'legal_holds_pkey', columns: [t.id, t.projectId] }), index('legal_holds_project_idx').on(t.projectId).where(sql`released_at IS NULL`)],
);

/** County monthly report, frozen when generated (1st working day of the next month, or on demand). */
export const countyReports = pgTable(
  'county_reports',
  {
    countyCode: text('county_code').notNull(),
    month: text('month').notNull(),
    generatedOn: date('generated_on', { mode: 'string' }).notNull(),
    generatedAt: ts('generated_at').notNull().defaultNow(),
    data: jsonb('data').notNull(),
  },
  (t) => [primaryKey({ columns: [t.countyCode, t.month] })],
);
