-- Console sessions end after 30 idle minutes as well as at their absolute expiry (issue 21, item 16).
ALTER TABLE "console_sessions" ADD COLUMN "last_seen_at" timestamp with time zone DEFAULT now() NOT NULL;
