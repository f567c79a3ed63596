CREATE TABLE "recon_routine_history" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"payroll_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"line_ids" uuid[] NOT NULL,
	"versions" integer[] NOT NULL,
	"paid_fen" bigint[] NOT NULL,
	"paid_on" date[] NOT NULL,
	"bank_record_ids" uuid[] NOT NULL,
	"as_of" date NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "recon_routine_history_payroll_idx" ON "recon_routine_history" USING btree ("payroll_id");