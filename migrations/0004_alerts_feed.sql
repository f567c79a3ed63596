CREATE TABLE "alert_deliveries" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"subscription_id" uuid NOT NULL,
	"alert_id" uuid NOT NULL,
	"job_id" text NOT NULL,
	"attempt" integer NOT NULL,
	"status" text NOT NULL,
	"response_status" integer,
	"error" text,
	"duration_ms" integer,
	"next_attempt_at" timestamp with time zone,
	"attempted_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alert_subscriptions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"owner_key_id" text NOT NULL,
	"owner_role" text NOT NULL,
	"owner_county_codes" text[] DEFAULT '{}'::text[] NOT NULL,
	"owner_industries" text[] DEFAULT '{}'::text[] NOT NULL,
	"url" text NOT NULL,
	"secret_enc" text NOT NULL,
	"types" text[] DEFAULT '{}'::text[] NOT NULL,
	"county_codes" text[] DEFAULT '{}'::text[] NOT NULL,
	"severities" text[] DEFAULT '{}'::text[] NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"status_reason" text,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"start_seq" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alerts" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"id" uuid NOT NULL,
	"type" text NOT NULL,
	"severity" text NOT NULL,
	"event_type" text NOT NULL,
	"county_code" text,
	"industry" text,
	"project_id" uuid,
	"company_id" uuid,
	"owner_key_id" uuid,
	"message_zh" text NOT NULL,
	"message_en" text NOT NULL,
	"link" text,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alerts_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE INDEX "alert_deliveries_sub_idx" ON "alert_deliveries" USING btree ("subscription_id","seq");--> statement-breakpoint
CREATE INDEX "alert_deliveries_job_idx" ON "alert_deliveries" USING btree ("job_id");--> statement-breakpoint
CREATE INDEX "alert_subscriptions_owner_idx" ON "alert_subscriptions" USING btree ("owner_key_id");--> statement-breakpoint
CREATE INDEX "alert_subscriptions_active_idx" ON "alert_subscriptions" USING btree ("status");--> statement-breakpoint
CREATE INDEX "alerts_county_seq_idx" ON "alerts" USING btree ("county_code","seq");--> statement-breakpoint
CREATE INDEX "alerts_industry_seq_idx" ON "alerts" USING btree ("industry","seq");--> statement-breakpoint
CREATE INDEX "alerts_project_seq_idx" ON "alerts" USING btree ("project_id","seq");--> statement-breakpoint
CREATE INDEX "alerts_owner_seq_idx" ON "alerts" USING btree ("owner_key_id","seq") WHERE owner_key_id IS NOT NULL;