import { sql } from 'drizzle-orm';
import { bigint, date, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const fen = (name: string) => bigint(name, { mode: 'number' });

export const banks = pgTable('banks', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  code: text('code').notNull().unique(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

/** Several live secrets per bank during a rotation overlap; `expiresAt` null = current. */
export const bankSecrets = pgTable('bank_secrets', {
  id: uuid('id').primaryKey(),
  bankId: uuid('bank_id').notNull().references(() => banks.id),
  secretEnc: text('secret_enc').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  expiresAt: ts('expires_at'),
});

export const companies = pgTable('companies', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  creditCode: text('credit_code').notNull().unique(),
  legalRepresentative: text('legal_representative').notNull(),
  contactPhoneEnc: text('contact_phone_enc'),
  contactPhoneMasked: text('contact_phone_masked'),
  createdAt: ts('created_at').notNull().defaultNow(),
});

/** A project is the distribution unit: every table that belongs to it carries project_id. */
export const projects = pgTable(
  'projects',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    countyCode: text('county_code').notNull(),
    industry: text('industry').notNull(), // housing | transport | water | power | utilities | land
    constructionUnitId: uuid('construction_unit_id').notNull().references(() => companies.id),
    generalContractorId: uuid('general_contractor_id').notNull().references(() => companies.id),
    contractPriceFen: fen('contract_price_fen').notNull(),
    startDate: date('start_date', { mode: 'string' }).notNull(),
    plannedEndDate: date('planned_end_date', { mode: 'string' }).notNull(),
    payday: integer('payday').notNull(),
    /** Which month's wages the pay day pays: 'previous' (次月发上月) or 'current' (当月). */
    payMonth: text('pay_month').notNull().default('previous'),
    /** Earlier periods with another pay month, `[{ until: 'YYYY-MM', payMonth }]` ascending; NULL = never changed (registry/pay-month.ts). */
    payMonthEarlier: jsonb('pay_month_earlier'),
    /** Construction permit (施工许可证) date: the deposit is due within the policy's working days of it. */
    permitDate: date('permit_date', { mode: 'string' }),
    /** permitDate (else startDate) + deposit.dueWorkingDays, computed at registration. */
    depositDueOn: date('deposit_due_on', { mode: 'string' }),
    laborManagerName: text('labor_manager_name'),
    laborManagerPhoneEnc: text('labor_manager_phone_enc'),
    laborManagerPhoneMasked: text('labor_manager_phone_masked'),
    wageBankId: uuid('wage_bank_id').notNull().references(() => banks.id),
    wageAccountNumber: text('wage_account_number').notNull(),
    depositBankId: uuid('deposit_bank_id').references(() => banks.id),
    depositAccountNumber: text('deposit_account_number'),
    depositRequiredFen: fen('deposit_required_fen').notNull(),
    /** How the required deposit was computed (ratio, adjustments, waiver, cap) — kept for audit. */
    depositPolicy: jsonb('deposit_policy').notNull().default({}),
    status: text('status').notNull().default('active'), // active | completing | completed | closed (lifecycle module)
    /** 竣工 date declared by the GC; engagements and sheets for later months are refused from then on. */
    completedOn: date('completed_on', { mode: 'string' }),
    completionDeclaredOn: date('completion_declared_on', { mode: 'string' }),
    completedAt: ts('completed_at'),
    /** The bank's `account.closed` for the wage account. */
    wageAccountClosedOn: date('wage_account_closed_on', { mode: 'string' }),
    closedOn: date('closed_on', { mode: 'string' }),
    /** closedOn + the retention years; personal data is erased after this date unless held. */
    retainUntil: date('retain_until', { mode: 'string' }),
    erasedAt: ts('erased_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('projects_county_idx').on(t.countyCode),
    index('projects_gc_idx').on(t.generalContractorId),
    index('projects_retain_idx').on(t.retainUntil).where(sql`status = 'closed' AND erased_at IS NULL`),
    uniqueIndex('projects_wage_account_uq').on(t.wageBankId, t.wageAccountNumber),
  ],
);

/** Subcontract tree: `parentCompanyId` is the GC or a subcontractor that sub-lets labour. */
export const subcontracts = pgTable(
  'subcontracts',
  {
    id: uuid('id').notNull(),
    projectId: uuid('project_id').notNull().references(() => projects.id),
    parentCompanyId: uuid('parent_company_id').notNull().references(() => companies.id),
    subcontractorId: uuid('subcontractor_id').notNull().references(() => companies.id),
    contractPriceFen: fen('contract_price_fen').notNull(),
    laborManagerName: text('labor_manager_name'),
    laborManagerPhoneEnc: text('labor_manager_phone_enc'),
    laborManagerPhoneMasked: text('labor_manager_phone_masked'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'subcontracts_pkey', columns: [t.id, t.projectId] }), uniqueIndex('subcontracts_project_sub_uq').on(t.projectId, t.subcontractorId)],
);
