CREATE TABLE "console_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"api_key_id" uuid,
	"admin_key_hash" text,
	"csrf_token" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "blacklist_entries" (
	"id" uuid PRIMARY KEY NOT NULL,
	"company_id" uuid NOT NULL,
	"company_name" text NOT NULL,
	"credit_code" text NOT NULL,
	"legal_representative" text NOT NULL,
	"status" text NOT NULL,
	"reason" text NOT NULL,
	"reason_detail" text NOT NULL,
	"basis" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"case_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"county_code" text NOT NULL,
	"proposed_on" date NOT NULL,
	"proposed_by" text NOT NULL,
	"objection_deadline" date NOT NULL,
	"listed_on" date,
	"expires_on" date,
	"ended_on" date,
	"end_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "blacklist_objections" (
	"id" uuid PRIMARY KEY NOT NULL,
	"entry_id" uuid NOT NULL,
	"company_id" uuid NOT NULL,
	"filed_on" date NOT NULL,
	"filed_by" text NOT NULL,
	"statement" text NOT NULL,
	"evidence" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"decision" text,
	"decided_on" date,
	"decided_by" text,
	"decision_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "blacklist_removal_requests" (
	"id" uuid PRIMARY KEY NOT NULL,
	"entry_id" uuid NOT NULL,
	"company_id" uuid NOT NULL,
	"requested_on" date NOT NULL,
	"requested_by" text NOT NULL,
	"commitment" text NOT NULL,
	"corrected_on" date NOT NULL,
	"status" text NOT NULL,
	"decided_on" date,
	"decided_by" text,
	"decision_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "company_credit" (
	"company_id" uuid PRIMARY KEY NOT NULL,
	"grade" text NOT NULL,
	"score" integer NOT NULL,
	"as_of" date NOT NULL,
	"reasons" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"inputs" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "credit_grades" (
	"id" uuid PRIMARY KEY NOT NULL,
	"company_id" uuid NOT NULL,
	"as_of" date NOT NULL,
	"grade" text NOT NULL,
	"previous_grade" text,
	"score" integer NOT NULL,
	"reasons" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"inputs" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"trigger" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "console_sessions" ADD CONSTRAINT "console_sessions_api_key_id_api_keys_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "blacklist_objections" ADD CONSTRAINT "blacklist_objections_entry_id_blacklist_entries_id_fk" FOREIGN KEY ("entry_id") REFERENCES "public"."blacklist_entries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "blacklist_removal_requests" ADD CONSTRAINT "blacklist_removal_requests_entry_id_blacklist_entries_id_fk" FOREIGN KEY ("entry_id") REFERENCES "public"."blacklist_entries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "console_sessions_expires_idx" ON "console_sessions" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "blacklist_entries_live_uq" ON "blacklist_entries" USING btree ("company_id") WHERE status IN ('proposed', 'objected', 'listed');--> statement-breakpoint
CREATE INDEX "blacklist_entries_status_idx" ON "blacklist_entries" USING btree ("status","expires_on");--> statement-breakpoint
CREATE UNIQUE INDEX "blacklist_objections_entry_uq" ON "blacklist_objections" USING btree ("entry_id");--> statement-breakpoint
CREATE INDEX "blacklist_removal_requests_entry_idx" ON "blacklist_removal_requests" USING btree ("entry_id");--> statement-breakpoint
CREATE UNIQUE INDEX "blacklist_removal_requests_pending_uq" ON "blacklist_removal_requests" USING btree ("entry_id") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "credit_grades_company_idx" ON "credit_grades" USING btree ("company_id","as_of");