-- Issue 19 item 12: minimum wages are dated policy values per scope (county, city, province, default).
-- Shipped defaults (Songyuan's five counties, Jilin standard of 2021-12-01) live in code; rows here add
-- or override them, and may be entered before they take effect.
CREATE TABLE IF NOT EXISTS "minimum_wages" (
  "scope" text NOT NULL,
  "effective_from" date NOT NULL,
  "monthly_fen" bigint NOT NULL CHECK ("monthly_fen" > 0),
  "hourly_fen" bigint NOT NULL CHECK ("hourly_fen" > 0),
  "source" text NOT NULL,
  "created_at" timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY ("scope", "effective_from")
);
