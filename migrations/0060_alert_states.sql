-- Alerts are news (#23). A *state* alert (balance below payroll, deposit short, …) is raised when the
-- state begins, again only when its severity changes, and once more when it ends (`…_resolved`);
-- persisting states are summed up in one daily digest per county. `alert_states` remembers which states
-- are open (one row per subject: type + project/employer/month/guarantee …). `alerts.event_id` is the
-- outbox event an alert came from: a resolve or digest alert has its own id, so webhook fan-out finds an
-- event's alerts by this column rather than by `alerts.id = event id`.
ALTER TABLE alerts ADD COLUMN event_id uuid;
--> statement-breakpoint
UPDATE alerts SET event_id = id WHERE event_id IS NULL;
--> statement-breakpoint
ALTER TABLE alerts ADD COLUMN kind text NOT NULL DEFAULT 'event';
--> statement-breakpoint
ALTER TABLE alerts ADD COLUMN transition text;
--> statement-breakpoint
ALTER TABLE alerts ADD COLUMN state_key text;
--> statement-breakpoint
-- Existing alerts of state types become state alerts with no transition (they predate the model).
UPDATE alerts SET kind = 'state' WHERE type IN ('wage_balance_low', 'deposit_short', 'guarantee_expiring', 'payroll_not_submitted',
  'dispatched_over_cap', 'no_labor_manager', 'allocation_missed');
--> statement-breakpoint
CREATE INDEX alerts_event_id_idx ON alerts (event_id);
--> statement-breakpoint
CREATE TABLE alert_states (
  state_key text PRIMARY KEY,
  type text NOT NULL,
  severity text NOT NULL,
  county_code text,
  industry text,
  project_id uuid,
  company_id uuid,
  opened_on date NOT NULL,
  last_seen_on date NOT NULL,
  resolved_on date,
  begin_alert_id uuid NOT NULL,
  last_digest_on date,
  data jsonb NOT NULL DEFAULT '{}'::jsonb,
  updated_at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
CREATE INDEX alert_states_open_idx ON alert_states (county_code, type) WHERE resolved_on IS NULL;
