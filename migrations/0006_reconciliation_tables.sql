CREATE TABLE "recon_inferred_matches" (
	"bank_record_id" uuid PRIMARY KEY NOT NULL,
	"line_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"matched_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "recon_line_history" (
	"line_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"project_id" uuid NOT NULL,
	"payroll_id" uuid NOT NULL,
	"from_status" text NOT NULL,
	"to_status" text NOT NULL,
	"reason" text NOT NULL,
	"reason_code" text,
	"paid_fen" bigint NOT NULL,
	"paid_on" date,
	"inferred" boolean NOT NULL,
	"paid_by" text,
	"bank_record_ids" uuid[] NOT NULL,
	"as_of" date NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "recon_line_history_line_id_version_pk" PRIMARY KEY("line_id","version")
);
--> statement-breakpoint
CREATE TABLE "recon_orphans" (
	"bank_record_id" uuid PRIMARY KEY NOT NULL,
	"bank_id" uuid NOT NULL,
	"project_id" uuid,
	"end_to_end_id" text,
	"kind" text NOT NULL,
	"status" text,
	"reason_code" text,
	"amount_fen" bigint NOT NULL,
	"value_date" date NOT NULL,
	"detected_as_of" date NOT NULL,
	"detected_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "recon_inferred_line_idx" ON "recon_inferred_matches" USING btree ("line_id");--> statement-breakpoint
CREATE INDEX "recon_orphans_project_idx" ON "recon_orphans" USING btree ("project_id","value_date");