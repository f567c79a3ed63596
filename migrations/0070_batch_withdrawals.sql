-- Issue 19 (follow-up): a batch waiting for funds whose lines an arrears case paid meanwhile is cut to
-- what is still owed before it takes holds; one left with nothing to pay is closed unsent
-- (status 'cancelled') with the reason here. Withdrawn instructions keep status 'withdrawn'.
ALTER TABLE "batches" ADD COLUMN IF NOT EXISTS "closed_reason" text;
