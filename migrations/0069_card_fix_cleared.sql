-- A card fix whose line was paid otherwise before the worker's new card was active (a case's GC advance or
-- deposit draw, an earlier fix of the same line) is closed without a payment: status 'cleared'
-- (roster/card-fix.service.ts repayOpenFixes). Re-paying it would pay the worker twice.
ALTER TABLE "card_fixes" DROP CONSTRAINT IF EXISTS "card_fixes_status_check";
--> statement-breakpoint
ALTER TABLE "card_fixes" ADD CONSTRAINT "card_fixes_status_check" CHECK ("status" IN ('open', 'repaid', 'cleared'));
