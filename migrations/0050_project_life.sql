-- Project life (issue 20): completion, wage-account closing, closure and the retention clock.
-- projects.status stays a text column: active | completing | completed | closed (existing rows are 'active').
ALTER TABLE "projects"
  ADD COLUMN "completed_on" date,
  ADD COLUMN "completion_declared_on" date,
  ADD COLUMN "completed_at" timestamptz,
  ADD COLUMN "wage_account_closed_on" date,
  ADD COLUMN "closed_on" date,
  ADD COLUMN "retain_until" date,
  ADD COLUMN "erased_at" timestamptz;
--> statement-breakpoint
-- Itemised pay and deductions (NULL on sheets sent without items), hours for hourly pay, and an
-- inspector's excuse of a line that will never be paid through the platform.
ALTER TABLE "payroll_lines"
  ADD COLUMN "items" jsonb,
  ADD COLUMN "hours" numeric(7,2),
  ADD COLUMN "excused_at" timestamptz,
  ADD COLUMN "excused_by" text,
  ADD COLUMN "excuse_reason" text;
--> statement-breakpoint
ALTER TABLE "workers" ADD COLUMN "erased_at" timestamptz;
--> statement-breakpoint
CREATE TABLE "legal_holds" (
  "id" uuid PRIMARY KEY,
  "project_id" uuid NOT NULL REFERENCES "projects"("id"),
  "reason" text NOT NULL,
  "created_by" text NOT NULL,
  "created_on" date NOT NULL,
  "created_at" timestamptz NOT NULL DEFAULT now(),
  "released_at" timestamptz
);
--> statement-breakpoint
CREATE INDEX "legal_holds_project_idx" ON "legal_holds" ("project_id") WHERE "released_at" IS NULL;
--> statement-breakpoint
-- Closed projects waiting for the retention job.
CREATE INDEX "projects_retain_idx" ON "projects" ("retain_until") WHERE "status" = 'closed' AND "erased_at" IS NULL;
--> statement-breakpoint
-- The county monthly report as generated (figures frozen at generation; rendered to xlsx/PDF on request).
CREATE TABLE "county_reports" (
  "county_code" text NOT NULL,
  "month" text NOT NULL,
  "generated_on" date NOT NULL,
  "generated_at" timestamptz NOT NULL DEFAULT now(),
  "data" jsonb NOT NULL,
  PRIMARY KEY ("county_code", "month")
);
