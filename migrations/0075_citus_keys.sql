-- Citus readiness (issue 22): every primary key and unique key of a project-owned table includes
-- project_id, and every foreign key between project-owned tables joins on it, so that a table
-- distributed by project_id keeps its keys (Citus enforces a unique key only when it contains the
-- distribution column) and every parent/child pair is co-located.
--
-- project_id goes LAST in every key: (id) becomes (id, project_id). A lookup by id alone still uses
-- the key's index through its leading column, so single-node plans and index count stay as they are.
-- A composite foreign key (child.project_id, child.x_id) references the parent's (project_id, id):
-- Postgres matches a referenced column list against a unique index as a set, so the widened primary
-- key serves it without an extra index.
--
-- Not here (other changes this round own them; tests/integration/citus-plan.ts lists them with the
-- reason): keys of payroll_lines, the recon_* tables, bank_records, outbox, alerts, alert_states,
-- audit_log, the ledger tables, sms_messages and wage_allocations' bank-record key. payroll_lines'
-- foreign key references payrolls(id), so payrolls keeps its (id) primary key for now and gains a
-- (id, project_id) unique key for its own children (payroll_findings).

-- 1. Foreign keys that depend on the primary keys about to be widened.
ALTER TABLE "instructions" DROP CONSTRAINT "instructions_batch_id_batches_id_fk";
--> statement-breakpoint
ALTER TABLE "payroll_findings" DROP CONSTRAINT "payroll_findings_payroll_id_payrolls_id_fk";
--> statement-breakpoint
ALTER TABLE "card_fixes" DROP CONSTRAINT "card_fixes_card_id_fkey", DROP CONSTRAINT "card_fixes_engagement_id_fkey";
--> statement-breakpoint
ALTER TABLE "worker_cards" DROP CONSTRAINT "worker_cards_engagement_id_fkey";
--> statement-breakpoint

-- 2. Primary keys: (id) -> (id, project_id). Same constraint names.
ALTER TABLE "arrears_cases" DROP CONSTRAINT "arrears_cases_pkey", ADD CONSTRAINT "arrears_cases_pkey" PRIMARY KEY ("id", "project_id");
--> statement-breakpoint
ALTER TABLE "arrears_case_events" DROP CONSTRAINT "arrears_case_events_pkey", ADD CONSTRAINT "arrears_case_events_pkey" PRIMARY KEY ("id", "project_id");
--> statement-breakpoint
ALTER TABLE "arrears_case_workers" DROP CONSTRAINT "arrears_case_workers_case_id_worker_id_pk",
  ADD CONSTRAINT "arrears_case_workers_case_id_worker_id_project_id_pk" PRIMARY KEY ("case_id", "worker_id", "project_id");
--> statement-breakpoint
ALTER TABLE "batches" DROP CONSTRAINT "batches_pkey", ADD CONSTRAINT "batches_pkey" PRIMARY KEY ("id", "project_id");
--> statement-breakpoint
ALTER TABLE "instructions" DROP CONSTRAINT "instructions_pkey", ADD CONSTRAINT "instructions_pkey" PRIMARY KEY ("id", "project_id");
--> statement-breakpoint
ALTER TABLE "deposit_draws" DROP CONSTRAINT "deposit_draws_pkey", ADD CONSTRAINT "deposit_draws_pkey" PRIMARY KEY ("id", "project_id");
--> statement-breakpoint
ALTER TABLE "deposit_guarantees" DROP CONSTRAINT "deposit_guarantees_pkey", ADD CONSTRAINT "deposit_guarantees_pkey" PRIMARY KEY ("id", "project_id");
--> statement-breakpoint
ALTER TABLE "deposit_returns" DROP CONSTRAINT "deposit_returns_pkey", ADD CONSTRAINT "deposit_returns_pkey" PRIMARY KEY ("id", "project_id");
--> statement-breakpoint
ALTER TABLE "engagements" DROP CONSTRAINT "engagements_pkey", ADD CONSTRAINT "engagements_pkey" PRIMARY KEY ("id", "project_id");
--> statement-breakpoint
ALTER TABLE "worker_cards" DROP CONSTRAINT "worker_cards_pkey", ADD CONSTRAINT "worker_cards_pkey" PRIMARY KEY ("id", "project_id");
--> statement-breakpoint
ALTER TABLE "card_fixes" DROP CONSTRAINT "card_fixes_pkey", ADD CONSTRAINT "card_fixes_pkey" PRIMARY KEY ("id", "project_id");
--> statement-breakpoint
ALTER TABLE "payroll_findings" DROP CONSTRAINT "payroll_findings_pkey", ADD CONSTRAINT "payroll_findings_pkey" PRIMARY KEY ("id", "project_id");
--> statement-breakpoint
ALTER TABLE "subcontracts" DROP CONSTRAINT "subcontracts_pkey", ADD CONSTRAINT "subcontracts_pkey" PRIMARY KEY ("id", "project_id");
--> statement-breakpoint
ALTER TABLE "wage_allocations" DROP CONSTRAINT "wage_allocations_pkey", ADD CONSTRAINT "wage_allocations_pkey" PRIMARY KEY ("id", "project_id");
--> statement-breakpoint
ALTER TABLE "complaints" DROP CONSTRAINT "complaints_pkey", ADD CONSTRAINT "complaints_pkey" PRIMARY KEY ("id", "project_id");
--> statement-breakpoint
ALTER TABLE "complaint_decisions" DROP CONSTRAINT "complaint_decisions_pkey", ADD CONSTRAINT "complaint_decisions_pkey" PRIMARY KEY ("id", "project_id");
--> statement-breakpoint
ALTER TABLE "legal_holds" DROP CONSTRAINT "legal_holds_pkey", ADD CONSTRAINT "legal_holds_pkey" PRIMARY KEY ("id", "project_id");
--> statement-breakpoint
ALTER TABLE "payslip_answers" DROP CONSTRAINT "payslip_answers_pkey", ADD CONSTRAINT "payslip_answers_pkey" PRIMARY KEY ("id", "project_id");
--> statement-breakpoint
-- payrolls: the target of payroll_lines' (payroll_id) foreign key keeps (id); its own children use this.
ALTER TABLE "payrolls" ADD CONSTRAINT "payrolls_id_project_uq" UNIQUE ("id", "project_id");
--> statement-breakpoint

-- 3. Unique indexes: the key, then project_id. Same names (tests and error mappings refer to them).
DROP INDEX "instructions_e2e_uq";
--> statement-breakpoint
CREATE UNIQUE INDEX "instructions_e2e_uq" ON "instructions" ("end_to_end_id", "project_id");
--> statement-breakpoint
DROP INDEX "card_fixes_instruction_uq";
--> statement-breakpoint
CREATE UNIQUE INDEX "card_fixes_instruction_uq" ON "card_fixes" ("instruction_id", "project_id");
--> statement-breakpoint
DROP INDEX "complaints_ref_uq";
--> statement-breakpoint
CREATE UNIQUE INDEX "complaints_ref_uq" ON "complaints" ("ref", "project_id");
--> statement-breakpoint
DROP INDEX "worker_cards_one_paying_uq";
--> statement-breakpoint
CREATE UNIQUE INDEX "worker_cards_one_paying_uq" ON "worker_cards" ("engagement_id", "project_id") WHERE "status" IN ('active', 'legacy');
--> statement-breakpoint

-- 4. Foreign keys between project-owned tables, on project_id too (same names as before). A row whose
-- project differs from its parent's fails here, loudly: the pair was never meant to cross projects.
ALTER TABLE "instructions" ADD CONSTRAINT "instructions_batch_id_batches_id_fk"
  FOREIGN KEY ("project_id", "batch_id") REFERENCES "batches" ("project_id", "id");
--> statement-breakpoint
ALTER TABLE "payroll_findings" ADD CONSTRAINT "payroll_findings_payroll_id_payrolls_id_fk"
  FOREIGN KEY ("project_id", "payroll_id") REFERENCES "payrolls" ("project_id", "id");
--> statement-breakpoint
ALTER TABLE "worker_cards" ADD CONSTRAINT "worker_cards_engagement_id_fkey"
  FOREIGN KEY ("project_id", "engagement_id") REFERENCES "engagements" ("project_id", "id");
--> statement-breakpoint
ALTER TABLE "card_fixes" ADD CONSTRAINT "card_fixes_engagement_id_fkey"
  FOREIGN KEY ("project_id", "engagement_id") REFERENCES "engagements" ("project_id", "id");
--> statement-breakpoint
ALTER TABLE "card_fixes" ADD CONSTRAINT "card_fixes_card_id_fkey"
  FOREIGN KEY ("project_id", "card_id") REFERENCES "worker_cards" ("project_id", "id");
