CREATE TABLE "allocation_schedules" (
	"project_id" uuid PRIMARY KEY NOT NULL,
	"cycle_months" integer NOT NULL,
	"due_day" integer NOT NULL,
	"amount_fen" bigint,
	"share_bp" integer,
	"start_month" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "allocation_schedules_one_basis" CHECK ((amount_fen IS NULL) <> (share_bp IS NULL))
);
--> statement-breakpoint
CREATE TABLE "deposit_draws" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"notice_id" text NOT NULL,
	"content_hash" text NOT NULL,
	"total_fen" bigint NOT NULL,
	"from_cash_fen" bigint NOT NULL,
	"from_guarantees_fen" bigint NOT NULL,
	"payments" jsonb NOT NULL,
	"calls" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"as_of" date NOT NULL,
	"replenish_due" date NOT NULL,
	"replenished_on" date,
	"ledger_transaction_id" uuid NOT NULL,
	"batch_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "deposit_guarantees" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"issuing_bank_id" uuid NOT NULL,
	"amount_fen" bigint NOT NULL,
	"called_fen" bigint DEFAULT 0 NOT NULL,
	"valid_from" date NOT NULL,
	"valid_to" date NOT NULL,
	"reminder_date" date NOT NULL,
	"reference" text NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "deposit_guarantees_called_le" CHECK (called_fen <= amount_fen)
);
--> statement-breakpoint
CREATE TABLE "deposit_returns" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"status" text NOT NULL,
	"promise" text NOT NULL,
	"requested_on" date NOT NULL,
	"notice_ends_on" date NOT NULL,
	"review_due_on" date NOT NULL,
	"release_on" date NOT NULL,
	"blocked_reason" text,
	"released_on" date,
	"released_fen" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "wage_allocations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"amount_fen" bigint NOT NULL,
	"value_date" date NOT NULL,
	"reference" text,
	"payer_name" text,
	"status" text NOT NULL,
	"source" text NOT NULL,
	"ledger_transaction_id" uuid NOT NULL,
	"bank_record_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "deposit_draws_notice_uq" ON "deposit_draws" USING btree ("project_id","notice_id");--> statement-breakpoint
CREATE INDEX "deposit_draws_open_idx" ON "deposit_draws" USING btree ("replenish_due") WHERE replenished_on IS NULL;--> statement-breakpoint
CREATE INDEX "deposit_guarantees_project_idx" ON "deposit_guarantees" USING btree ("project_id");--> statement-breakpoint
CREATE UNIQUE INDEX "deposit_guarantees_ref_uq" ON "deposit_guarantees" USING btree ("project_id","reference");--> statement-breakpoint
CREATE UNIQUE INDEX "deposit_returns_open_uq" ON "deposit_returns" USING btree ("project_id") WHERE status = 'notice';--> statement-breakpoint
CREATE INDEX "deposit_returns_project_idx" ON "deposit_returns" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "wage_allocations_project_idx" ON "wage_allocations" USING btree ("project_id","value_date");--> statement-breakpoint
CREATE UNIQUE INDEX "wage_allocations_bank_record_uq" ON "wage_allocations" USING btree ("bank_record_id");