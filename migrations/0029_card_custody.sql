-- Card custody (issue 17). A person (workers) is registered once; everything a company says about
-- them on its own project belongs to that company's engagement: phone, team, trade and the payout
-- card. No company's action can change what another company's engagement uses or shows.

-- One name per resident ID, compared after normalisation: full-width ASCII to half-width, the
-- ideographic and no-break spaces removed with every other space, the dot variants of minority
-- names (· ・ • ‧ ∙ . ．) made one, case folded. IMMUTABLE so it can back an index later.
CREATE OR REPLACE FUNCTION wg_norm_name(s text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT lower(regexp_replace(translate(s, '！＂＃＄％＆＇（）＊＋，－／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　 ．.・•‧∙·', '!"#$%&''()*+,-/0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~  ·······'), '\s+', '', 'g'))
$fn$;--> statement-breakpoint

-- Phone per engagement (backfilled from the person; the blind index needs the platform key, so the
-- application fills phone_bidx on start: backfillPhoneIndexes in src/modules/roster/cards.backfill.ts).
ALTER TABLE "engagements" ADD COLUMN "phone_enc" text, ADD COLUMN "phone_bidx" text, ADD COLUMN "phone_masked" text;--> statement-breakpoint
UPDATE "engagements" e SET "phone_enc" = w.phone_enc, "phone_masked" = w.phone_masked
  FROM "workers" w WHERE w.id = e.worker_id AND w.phone_enc IS NOT NULL;--> statement-breakpoint
CREATE INDEX "engagements_phone_bidx_idx" ON "engagements" USING hash ("phone_bidx");--> statement-breakpoint
-- What the start-up backfill still has to index (empty once done).
CREATE INDEX "engagements_phone_unindexed_idx" ON "engagements" ("id") WHERE "phone_enc" IS NOT NULL AND "phone_bidx" IS NULL;--> statement-breakpoint

-- Cards: one row per card per engagement. "Paying" statuses are active and legacy (the card a
-- pre-custody engagement already had); exactly one of them per engagement, enforced here.
CREATE TABLE "worker_cards" (
  "id" uuid PRIMARY KEY,
  "engagement_id" uuid NOT NULL REFERENCES "engagements"("id"),
  "worker_id" uuid NOT NULL REFERENCES "workers"("id"),
  "project_id" uuid NOT NULL REFERENCES "projects"("id"),
  "employer_id" uuid NOT NULL REFERENCES "companies"("id"),
  "card_enc" text NOT NULL,
  "card_bidx" text NOT NULL,
  "card_masked" text NOT NULL,
  "status" text NOT NULL CHECK ("status" IN ('active', 'legacy', 'proposed', 'verified', 'invalid', 'refused', 'replaced')),
  "origin" text NOT NULL CHECK ("origin" IN ('registration', 'legacy', 'proposal')),
  "proposed_by" text,
  "status_by" text NOT NULL,
  "status_since" timestamptz NOT NULL DEFAULT now(),
  "verification" text CHECK ("verification" IN ('pending', 'match', 'mismatch', 'closed')),
  "verification_at" timestamptz,
  "reason" text,
  "created_at" timestamptz NOT NULL DEFAULT now()
);--> statement-breakpoint
CREATE UNIQUE INDEX "worker_cards_one_paying_uq" ON "worker_cards" ("engagement_id") WHERE "status" IN ('active', 'legacy');--> statement-breakpoint
CREATE INDEX "worker_cards_engagement_idx" ON "worker_cards" ("engagement_id", "created_at");--> statement-breakpoint
CREATE INDEX "worker_cards_paying_idx" ON "worker_cards" ("project_id", "worker_id") WHERE "status" IN ('active', 'legacy');--> statement-breakpoint
CREATE INDEX "worker_cards_card_bidx_idx" ON "worker_cards" USING hash ("card_bidx");--> statement-breakpoint
CREATE INDEX "worker_cards_pending_check_idx" ON "worker_cards" ("created_at") WHERE "verification" = 'pending' AND "status" = 'proposed';--> statement-breakpoint

-- Every current card becomes the paying card of each of that person's engagements, marked legacy.
INSERT INTO "worker_cards" (id, engagement_id, worker_id, project_id, employer_id, card_enc, card_bidx, card_masked, status, origin, status_by, status_since, created_at)
SELECT gen_random_uuid(), e.id, e.worker_id, e.project_id, e.employer_id, w.bank_card_enc, w.bank_card_bidx, w.bank_card_masked,
  'legacy', 'legacy', 'migration', e.created_at, e.created_at
FROM "engagements" e JOIN "workers" w ON w.id = e.worker_id;--> statement-breakpoint

-- The card an instruction paid, so a bank rejection invalidates exactly that card.
ALTER TABLE "instructions" ADD COLUMN "card_id" uuid;--> statement-breakpoint

-- Card-fix tasks: a line rejected for AC01/AC04/BE01 (instruction_id = the rejected attempt), or
-- due while its engagement has no paying card (instruction_id null), waits here until the engagement
-- has a paying card again; then it is re-paid with a new EndToEndId from the same paying account.
CREATE TABLE "card_fixes" (
  "id" uuid PRIMARY KEY,
  "project_id" uuid NOT NULL REFERENCES "projects"("id"),
  "engagement_id" uuid NOT NULL REFERENCES "engagements"("id"),
  "worker_id" uuid NOT NULL REFERENCES "workers"("id"),
  "employer_id" uuid NOT NULL REFERENCES "companies"("id"),
  "card_id" uuid REFERENCES "worker_cards"("id"),
  "instruction_id" uuid,
  "payroll_line_id" uuid,
  "amount_fen" bigint NOT NULL,
  "reason_code" text NOT NULL,
  "status" text NOT NULL CHECK ("status" IN ('open', 'repaid')),
  "repay_instruction_id" uuid,
  -- A payment due while the engagement had no paying card (instruction_id null) keeps the context of
  -- the batch it was left out of, to be re-paid from the same account, bank and debtor.
  "batch_kind" text,
  "payroll_id" uuid,
  "bank_id" uuid,
  "debtor_account" text,
  "debtor_name" text,
  "from_account_id" uuid,
  "created_at" timestamptz NOT NULL DEFAULT now(),
  "resolved_at" timestamptz
);--> statement-breakpoint
CREATE UNIQUE INDEX "card_fixes_instruction_uq" ON "card_fixes" ("instruction_id");--> statement-breakpoint
CREATE INDEX "card_fixes_open_idx" ON "card_fixes" ("engagement_id") WHERE "status" = 'open';--> statement-breakpoint
CREATE INDEX "card_fixes_project_idx" ON "card_fixes" ("project_id", "created_at");
