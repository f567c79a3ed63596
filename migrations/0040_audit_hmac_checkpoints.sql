-- Audit chain keyed with HMAC-SHA-256 (the key lives in the application's configuration, never in the
-- database). Rows written before this migration keep their unkeyed SHA-256 links and say so in `alg`;
-- the first keyed row links to the last unkeyed one, so the old part can no longer be rewritten
-- without breaking a keyed link. New rows default to the keyed algorithm.
ALTER TABLE "audit_log" ADD COLUMN "alg" text DEFAULT 'sha256' NOT NULL;
--> statement-breakpoint
ALTER TABLE "audit_log" ALTER COLUMN "alg" SET DEFAULT 'hmac-sha256';
--> statement-breakpoint
-- Where the keyed chain starts: every row from this seq on must be keyed, so rewriting keyed rows as
-- unkeyed ones (a downgrade) is caught even before the next checkpoint.
CREATE TABLE "audit_chain_meta" ("keyed_from_seq" bigint NOT NULL);
--> statement-breakpoint
INSERT INTO "audit_chain_meta" ("keyed_from_seq") SELECT COALESCE(max(seq), 0) + 1 FROM audit_log;
--> statement-breakpoint
CREATE TRIGGER audit_chain_meta_no_update BEFORE UPDATE OR DELETE ON audit_chain_meta
  FOR EACH ROW EXECUTE FUNCTION audit_log_immutable();
--> statement-breakpoint
-- Signed daily checkpoints (date, last sequence, head hash): exported and kept outside the database,
-- they let `verify` notice rows missing from the tail. Append-only like the log itself.
CREATE TABLE "audit_checkpoints" (
	"day" date PRIMARY KEY NOT NULL,
	"last_seq" bigint NOT NULL,
	"head_hash" text NOT NULL,
	"key_id" text NOT NULL,
	"signature" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_log_immutable();
