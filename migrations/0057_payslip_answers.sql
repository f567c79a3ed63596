-- A worker's answer to a pay slip line. The latest answer counts; an inspector may clear a dispute.
CREATE TABLE "payslip_answers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"line_id" uuid NOT NULL,
	"worker_id" uuid NOT NULL,
	"answer" text NOT NULL,
	"note" text,
	"line_status" text NOT NULL,
	"cleared_at" timestamp with time zone,
	"cleared_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "payslip_answers_line_idx" ON "payslip_answers" USING btree ("line_id", "created_at");
--> statement-breakpoint
CREATE INDEX "payslip_answers_project_idx" ON "payslip_answers" USING btree ("project_id");
--> statement-breakpoint
-- Settled lines whose worker has no phone on file: remembered so the settle-notice query skips them.
CREATE TABLE "payslip_sms_skips" (
	"line_id" uuid PRIMARY KEY NOT NULL
);
