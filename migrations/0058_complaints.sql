-- Arrears complaints (欠薪线索): public, worker and inspector channels, routed to the project's county.
-- The complainant's identity (name, phone) is encrypted and only ever shown to inspectors.
CREATE TABLE "complaints" (
	"id" uuid PRIMARY KEY NOT NULL,
	"ref" text NOT NULL,
	"project_id" uuid NOT NULL,
	"county_code" text NOT NULL,
	"employer_id" uuid,
	"employer_name" text,
	"months" text[] NOT NULL,
	"amount_claimed_fen" bigint NOT NULL,
	"workers_affected" integer NOT NULL,
	"description" text NOT NULL,
	"channel" text NOT NULL,
	"severity" text NOT NULL,
	"complainant_name_enc" text,
	"complainant_phone_enc" text,
	"complainant_phone_bidx" text,
	"complainant_phone_masked" text,
	"worker_id" uuid,
	"token_hash" text,
	"status" text DEFAULT 'received' NOT NULL,
	"case_id" uuid,
	"due_on" date NOT NULL,
	"answered_at" timestamp with time zone,
	"received_on" date NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "complaints_ref_uq" ON "complaints" USING btree ("ref");
--> statement-breakpoint
CREATE INDEX "complaints_county_status_idx" ON "complaints" USING btree ("county_code", "status", "due_on");
--> statement-breakpoint
CREATE INDEX "complaints_project_idx" ON "complaints" USING btree ("project_id");
--> statement-breakpoint
CREATE INDEX "complaints_worker_idx" ON "complaints" USING btree ("worker_id");
--> statement-breakpoint
CREATE INDEX "complaints_phone_idx" ON "complaints" USING btree ("complainant_phone_bidx");
--> statement-breakpoint
CREATE TABLE "complaint_decisions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"complaint_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"action" text NOT NULL,
	"reply" text NOT NULL,
	"case_id" uuid,
	"actor" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "complaint_decisions_complaint_idx" ON "complaint_decisions" USING btree ("complaint_id", "created_at");
--> statement-breakpoint
CREATE TABLE "complaint_codes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"phone_bidx" text NOT NULL,
	"code_hash" text NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "complaint_codes_phone_idx" ON "complaint_codes" USING btree ("phone_bidx", "created_at");
