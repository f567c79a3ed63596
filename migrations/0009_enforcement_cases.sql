CREATE TABLE "arrears_case_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"case_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"stage" text NOT NULL,
	"on" date NOT NULL,
	"deadline" date,
	"actor" text NOT NULL,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "arrears_case_workers" (
	"case_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"worker_id" uuid NOT NULL,
	"line_id" uuid,
	"amount_owed_fen" bigint DEFAULT 0 NOT NULL,
	"amount_paid_fen" bigint DEFAULT 0 NOT NULL,
	"paid_by" text,
	"since_month" text NOT NULL,
	CONSTRAINT "arrears_case_workers_case_id_worker_id_pk" PRIMARY KEY("case_id","worker_id")
);
--> statement-breakpoint
CREATE TABLE "arrears_cases" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"employer_id" uuid NOT NULL,
	"general_contractor_id" uuid NOT NULL,
	"construction_unit_id" uuid NOT NULL,
	"county_code" text NOT NULL,
	"industry" text NOT NULL,
	"month" text NOT NULL,
	"stage" text NOT NULL,
	"status" text NOT NULL,
	"origin" text DEFAULT 'lines' NOT NULL,
	"workers_owed" integer DEFAULT 0 NOT NULL,
	"amount_owed_fen" bigint DEFAULT 0 NOT NULL,
	"amount_cleared_fen" bigint DEFAULT 0 NOT NULL,
	"amount_outstanding_fen" bigint DEFAULT 0 NOT NULL,
	"workers_unpaid" integer DEFAULT 0 NOT NULL,
	"pay_date" date NOT NULL,
	"opened_on" date NOT NULL,
	"stage_deadline" date,
	"gc_order_issued_on" date,
	"gc_order_ignored" boolean DEFAULT false NOT NULL,
	"deposit_notice_id" text,
	"deposit_notice_on" date,
	"replenishment_overdue_on" date,
	"mass_incident" boolean DEFAULT false NOT NULL,
	"closed_on" date,
	"cleared_by" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"responsible" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "arrears_case_events_case_idx" ON "arrears_case_events" USING btree ("case_id","on");--> statement-breakpoint
CREATE INDEX "arrears_case_workers_line_idx" ON "arrears_case_workers" USING btree ("line_id");--> statement-breakpoint
CREATE UNIQUE INDEX "arrears_cases_pem_uq" ON "arrears_cases" USING btree ("project_id","employer_id","month");--> statement-breakpoint
CREATE INDEX "arrears_cases_county_idx" ON "arrears_cases" USING btree ("county_code","month");--> statement-breakpoint
CREATE INDEX "arrears_cases_open_idx" ON "arrears_cases" USING btree ("stage") WHERE status = 'open';--> statement-breakpoint
CREATE INDEX "arrears_cases_gc_idx" ON "arrears_cases" USING btree ("general_contractor_id");