CREATE TABLE "bank_records" (
	"id" uuid PRIMARY KEY NOT NULL,
	"bank_id" uuid NOT NULL,
	"project_id" uuid,
	"kind" text NOT NULL,
	"end_to_end_id" text,
	"status" text,
	"reason_code" text,
	"amount_fen" bigint NOT NULL,
	"value_date" date NOT NULL,
	"card_bidx" text,
	"card_masked" text,
	"account_number" text,
	"reference" text,
	"payer_name" text,
	"source" text NOT NULL,
	"source_ref" text NOT NULL,
	"dedupe_key" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"flags" jsonb DEFAULT '[]'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "batches" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"payroll_id" uuid,
	"kind" text NOT NULL,
	"bank_id" uuid NOT NULL,
	"debtor_account" text NOT NULL,
	"debtor_name" text NOT NULL,
	"status" text NOT NULL,
	"line_count" integer NOT NULL,
	"total_fen" bigint NOT NULL,
	"requested_execution_date" date NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"acknowledged_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "instructions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"batch_id" uuid NOT NULL,
	"payroll_line_id" uuid,
	"worker_id" uuid NOT NULL,
	"end_to_end_id" text NOT NULL,
	"creditor_name" text NOT NULL,
	"card_enc" text NOT NULL,
	"card_bidx" text NOT NULL,
	"card_masked" text NOT NULL,
	"amount_fen" bigint NOT NULL,
	"hold_transaction_id" uuid,
	"status" text NOT NULL,
	"reason_code" text,
	"flags" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_inbox" (
	"bank_id" uuid NOT NULL,
	"webhook_id" text NOT NULL,
	"type" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"body_hash" text NOT NULL,
	CONSTRAINT "webhook_inbox_bank_id_webhook_id_pk" PRIMARY KEY("bank_id","webhook_id")
);
--> statement-breakpoint
CREATE TABLE "ledger_accounts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"kind" text NOT NULL,
	"project_id" uuid,
	"company_id" uuid,
	"allow_negative" boolean DEFAULT false NOT NULL,
	"posted" bigint DEFAULT 0 NOT NULL,
	"pending_out" bigint DEFAULT 0 NOT NULL,
	"pending_in" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_accounts_code_unique" UNIQUE("code"),
	CONSTRAINT "ledger_accounts_guard" CHECK (allow_negative OR (posted - pending_out >= 0)),
	CONSTRAINT "ledger_accounts_pending_nonneg" CHECK (pending_out >= 0 AND pending_in >= 0)
);
--> statement-breakpoint
CREATE TABLE "ledger_entries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"transaction_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"project_id" uuid,
	"amount" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_transactions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"content_hash" text NOT NULL,
	"reference" text,
	"effective_date" date,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"settled_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY NOT NULL,
	"key_hash" text NOT NULL,
	"prefix" text NOT NULL,
	"role" text NOT NULL,
	"company_id" uuid,
	"bank_id" uuid,
	"county_codes" text[] DEFAULT '{}'::text[] NOT NULL,
	"industries" text[] DEFAULT '{}'::text[] NOT NULL,
	"label" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"entity_type" text NOT NULL,
	"entity_id" text,
	"project_id" uuid,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "calendar_days" (
	"day" date NOT NULL,
	"kind" text NOT NULL,
	"scope" text DEFAULT 'default' NOT NULL,
	"name" text,
	CONSTRAINT "calendar_days_scope_day_pk" PRIMARY KEY("scope","day")
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"principal" text NOT NULL,
	"key" text NOT NULL,
	"method" text NOT NULL,
	"path" text NOT NULL,
	"request_hash" text NOT NULL,
	"state" text NOT NULL,
	"response_status" integer,
	"response_body" text,
	"response_type" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"locked_until" timestamp with time zone,
	CONSTRAINT "idempotency_keys_principal_key_pk" PRIMARY KEY("principal","key")
);
--> statement-breakpoint
CREATE TABLE "job_runs" (
	"key" text PRIMARY KEY NOT NULL,
	"finished" boolean DEFAULT false NOT NULL,
	"result" jsonb,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"id" uuid NOT NULL,
	"type" text NOT NULL,
	"project_id" uuid,
	"company_id" uuid,
	"county_code" text,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"relayed_at" timestamp with time zone,
	CONSTRAINT "outbox_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE TABLE "policy_settings" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "policy_settings_scope_key_pk" PRIMARY KEY("scope","key")
);
--> statement-breakpoint
CREATE TABLE "bank_secrets" (
	"id" uuid PRIMARY KEY NOT NULL,
	"bank_id" uuid NOT NULL,
	"secret_enc" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "banks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"code" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "banks_code_unique" UNIQUE("code")
);
--> statement-breakpoint
CREATE TABLE "companies" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"credit_code" text NOT NULL,
	"legal_representative" text NOT NULL,
	"contact_phone_enc" text,
	"contact_phone_masked" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "companies_credit_code_unique" UNIQUE("credit_code")
);
--> statement-breakpoint
CREATE TABLE "projects" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"county_code" text NOT NULL,
	"industry" text NOT NULL,
	"construction_unit_id" uuid NOT NULL,
	"general_contractor_id" uuid NOT NULL,
	"contract_price_fen" bigint NOT NULL,
	"start_date" date NOT NULL,
	"planned_end_date" date NOT NULL,
	"payday" integer NOT NULL,
	"labor_manager_name" text,
	"labor_manager_phone_enc" text,
	"labor_manager_phone_masked" text,
	"wage_bank_id" uuid NOT NULL,
	"wage_account_number" text NOT NULL,
	"deposit_bank_id" uuid,
	"deposit_account_number" text,
	"deposit_required_fen" bigint NOT NULL,
	"deposit_policy" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "subcontracts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"parent_company_id" uuid NOT NULL,
	"subcontractor_id" uuid NOT NULL,
	"contract_price_fen" bigint NOT NULL,
	"labor_manager_name" text,
	"labor_manager_phone_enc" text,
	"labor_manager_phone_masked" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "attendance" (
	"project_id" uuid NOT NULL,
	"month" text NOT NULL,
	"worker_id" uuid NOT NULL,
	"employer_id" uuid NOT NULL,
	"days_present" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "attendance_project_id_month_worker_id_pk" PRIMARY KEY("project_id","month","worker_id")
);
--> statement-breakpoint
CREATE TABLE "engagements" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"worker_id" uuid NOT NULL,
	"employer_id" uuid NOT NULL,
	"trade" text NOT NULL,
	"team" text,
	"contract_signed" boolean NOT NULL,
	"dispatched" boolean NOT NULL,
	"entry_date" date NOT NULL,
	"exit_date" date,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"id_number_enc" text NOT NULL,
	"id_number_bidx" text NOT NULL,
	"id_number_masked" text NOT NULL,
	"birth_date" date NOT NULL,
	"gender" text NOT NULL,
	"phone_enc" text,
	"phone_masked" text,
	"bank_card_enc" text NOT NULL,
	"bank_card_bidx" text NOT NULL,
	"bank_card_masked" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payroll_findings" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"payroll_id" uuid NOT NULL,
	"line_id" uuid,
	"worker_id" uuid,
	"code" text NOT NULL,
	"severity" text NOT NULL,
	"message" text NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payroll_lines" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"payroll_id" uuid NOT NULL,
	"worker_id" uuid NOT NULL,
	"employer_id" uuid NOT NULL,
	"month" text NOT NULL,
	"days_worked" integer NOT NULL,
	"gross_fen" bigint NOT NULL,
	"deductions_fen" bigint NOT NULL,
	"net_fen" bigint NOT NULL,
	"end_to_end_id" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"paid_fen" bigint DEFAULT 0 NOT NULL,
	"paid_on" date,
	"reason_code" text,
	"inferred" boolean DEFAULT false NOT NULL,
	"recon_version" integer DEFAULT 0 NOT NULL,
	"paid_by" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payrolls" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"employer_id" uuid NOT NULL,
	"month" text NOT NULL,
	"status" text NOT NULL,
	"line_count" integer NOT NULL,
	"total_net_fen" bigint NOT NULL,
	"supersedes_id" uuid,
	"submitted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"approved_at" timestamp with time zone,
	"approved_by" text,
	"batch_id" uuid,
	"allocation_shortfall_fen" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "instructions" ADD CONSTRAINT "instructions_batch_id_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."batches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_transaction_id_ledger_transactions_id_fk" FOREIGN KEY ("transaction_id") REFERENCES "public"."ledger_transactions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_account_id_ledger_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ledger_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bank_secrets" ADD CONSTRAINT "bank_secrets_bank_id_banks_id_fk" FOREIGN KEY ("bank_id") REFERENCES "public"."banks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_construction_unit_id_companies_id_fk" FOREIGN KEY ("construction_unit_id") REFERENCES "public"."companies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_general_contractor_id_companies_id_fk" FOREIGN KEY ("general_contractor_id") REFERENCES "public"."companies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_wage_bank_id_banks_id_fk" FOREIGN KEY ("wage_bank_id") REFERENCES "public"."banks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_deposit_bank_id_banks_id_fk" FOREIGN KEY ("deposit_bank_id") REFERENCES "public"."banks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subcontracts" ADD CONSTRAINT "subcontracts_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subcontracts" ADD CONSTRAINT "subcontracts_parent_company_id_companies_id_fk" FOREIGN KEY ("parent_company_id") REFERENCES "public"."companies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subcontracts" ADD CONSTRAINT "subcontracts_subcontractor_id_companies_id_fk" FOREIGN KEY ("subcontractor_id") REFERENCES "public"."companies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attendance" ADD CONSTRAINT "attendance_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attendance" ADD CONSTRAINT "attendance_worker_id_workers_id_fk" FOREIGN KEY ("worker_id") REFERENCES "public"."workers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attendance" ADD CONSTRAINT "attendance_employer_id_companies_id_fk" FOREIGN KEY ("employer_id") REFERENCES "public"."companies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "engagements" ADD CONSTRAINT "engagements_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "engagements" ADD CONSTRAINT "engagements_worker_id_workers_id_fk" FOREIGN KEY ("worker_id") REFERENCES "public"."workers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "engagements" ADD CONSTRAINT "engagements_employer_id_companies_id_fk" FOREIGN KEY ("employer_id") REFERENCES "public"."companies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payroll_findings" ADD CONSTRAINT "payroll_findings_payroll_id_payrolls_id_fk" FOREIGN KEY ("payroll_id") REFERENCES "public"."payrolls"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payroll_lines" ADD CONSTRAINT "payroll_lines_payroll_id_payrolls_id_fk" FOREIGN KEY ("payroll_id") REFERENCES "public"."payrolls"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "bank_records_dedupe_uq" ON "bank_records" USING btree ("bank_id","dedupe_key");--> statement-breakpoint
CREATE INDEX "bank_records_e2e_idx" ON "bank_records" USING btree ("end_to_end_id");--> statement-breakpoint
CREATE INDEX "bank_records_project_idx" ON "bank_records" USING btree ("project_id","value_date");--> statement-breakpoint
CREATE INDEX "batches_bank_status_idx" ON "batches" USING btree ("bank_id","status");--> statement-breakpoint
CREATE INDEX "batches_project_idx" ON "batches" USING btree ("project_id");--> statement-breakpoint
CREATE UNIQUE INDEX "instructions_e2e_uq" ON "instructions" USING btree ("end_to_end_id");--> statement-breakpoint
CREATE INDEX "instructions_batch_idx" ON "instructions" USING btree ("batch_id");--> statement-breakpoint
CREATE INDEX "ledger_accounts_project_idx" ON "ledger_accounts" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "ledger_entries_tx_idx" ON "ledger_entries" USING btree ("transaction_id");--> statement-breakpoint
CREATE INDEX "ledger_entries_account_idx" ON "ledger_entries" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "ledger_tx_project_idx" ON "ledger_transactions" USING btree ("project_id","kind");--> statement-breakpoint
CREATE INDEX "audit_log_entity_idx" ON "audit_log" USING btree ("entity_type","entity_id");--> statement-breakpoint
CREATE INDEX "outbox_unrelayed_idx" ON "outbox" USING btree ("seq") WHERE relayed_at IS NULL;--> statement-breakpoint
CREATE INDEX "projects_county_idx" ON "projects" USING btree ("county_code");--> statement-breakpoint
CREATE INDEX "projects_gc_idx" ON "projects" USING btree ("general_contractor_id");--> statement-breakpoint
CREATE UNIQUE INDEX "projects_wage_account_uq" ON "projects" USING btree ("wage_bank_id","wage_account_number");--> statement-breakpoint
CREATE UNIQUE INDEX "subcontracts_project_sub_uq" ON "subcontracts" USING btree ("project_id","subcontractor_id");--> statement-breakpoint
CREATE UNIQUE INDEX "engagements_active_uq" ON "engagements" USING btree ("project_id","worker_id") WHERE exit_date IS NULL;--> statement-breakpoint
CREATE INDEX "engagements_project_employer_idx" ON "engagements" USING btree ("project_id","employer_id");--> statement-breakpoint
CREATE INDEX "engagements_worker_idx" ON "engagements" USING btree ("worker_id");--> statement-breakpoint
CREATE UNIQUE INDEX "workers_id_bidx_uq" ON "workers" USING btree ("id_number_bidx");--> statement-breakpoint
CREATE INDEX "workers_card_bidx_idx" ON "workers" USING btree ("bank_card_bidx");--> statement-breakpoint
CREATE INDEX "payroll_findings_payroll_idx" ON "payroll_findings" USING btree ("payroll_id");--> statement-breakpoint
CREATE INDEX "payroll_lines_payroll_idx" ON "payroll_lines" USING btree ("payroll_id");--> statement-breakpoint
CREATE UNIQUE INDEX "payroll_lines_e2e_uq" ON "payroll_lines" USING btree ("end_to_end_id");--> statement-breakpoint
CREATE INDEX "payroll_lines_project_month_idx" ON "payroll_lines" USING btree ("project_id","month");--> statement-breakpoint
CREATE INDEX "payroll_lines_worker_idx" ON "payroll_lines" USING btree ("worker_id");--> statement-breakpoint
CREATE UNIQUE INDEX "payrolls_live_uq" ON "payrolls" USING btree ("project_id","employer_id","month") WHERE status <> 'superseded';--> statement-breakpoint
CREATE INDEX "payrolls_project_month_idx" ON "payrolls" USING btree ("project_id","month");