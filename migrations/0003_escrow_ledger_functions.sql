-- Ledger postings in ONE round trip. Hot accounts serialise on their row locks, so the time a lock
-- is held must be as short as possible: the whole posting (idempotent insert, ordered balance
-- updates, entries) runs server-side; nothing waits on the network while a lock is held.

-- Apply per-account deltas in account-id order (the global lock order, so postings cannot deadlock
-- with each other). sign = +1 creates a hold / posts, -1 releases a hold; post = move into `posted`.
CREATE OR REPLACE FUNCTION ledger_apply(p_accounts uuid[], p_amounts bigint[], p_pending boolean, p_sign int, p_post boolean)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT a AS id,
      SUM(CASE WHEN p_post THEN m ELSE 0 END) AS dp,
      SUM(CASE WHEN p_pending AND m < 0 THEN -m ELSE 0 END) * p_sign AS po,
      SUM(CASE WHEN p_pending AND m > 0 THEN m ELSE 0 END) * p_sign AS pi
    FROM unnest(p_accounts, p_amounts) AS x(a, m) GROUP BY a ORDER BY a
  LOOP
    UPDATE ledger_accounts SET posted = posted + r.dp, pending_out = pending_out + r.po, pending_in = pending_in + r.pi
    WHERE id = r.id;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'unknown ledger account %', r.id USING ERRCODE = 'foreign_key_violation';
    END IF;
  END LOOP;
END $$;
--> statement-breakpoint
-- Returns 'new:<status>', 'replay:<status>' (same id, same content) or 'conflict' (same id, other content).
CREATE OR REPLACE FUNCTION ledger_post(p_id uuid, p_project uuid, p_kind text, p_pending boolean, p_hash text,
  p_reference text, p_effective date, p_metadata jsonb, p_accounts uuid[], p_amounts bigint[])
RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; h text;
BEGIN
  INSERT INTO ledger_transactions (id, project_id, kind, status, content_hash, reference, effective_date, metadata, settled_at)
  VALUES (p_id, p_project, p_kind, CASE WHEN p_pending THEN 'pending' ELSE 'posted' END, p_hash, p_reference, p_effective,
          COALESCE(p_metadata, '{}'::jsonb), CASE WHEN p_pending THEN NULL ELSE now() END)
  ON CONFLICT (id) DO NOTHING;
  IF NOT FOUND THEN
    SELECT status, content_hash INTO st, h FROM ledger_transactions WHERE id = p_id;
    IF h IS DISTINCT FROM p_hash THEN RETURN 'conflict'; END IF;
    RETURN 'replay:' || st;
  END IF;
  PERFORM ledger_apply(p_accounts, p_amounts, p_pending, 1, NOT p_pending);
  INSERT INTO ledger_entries (transaction_id, account_id, project_id, amount)
  SELECT p_id, a, p_project, m FROM unnest(p_accounts, p_amounts) AS x(a, m);
  RETURN 'new:' || CASE WHEN p_pending THEN 'pending' ELSE 'posted' END;
END $$;
--> statement-breakpoint
-- Post or void a pending transaction. Returns 'new:<status>', 'replay:<status>', 'state:<status>' or 'missing'.
CREATE OR REPLACE FUNCTION ledger_settle(p_id uuid, p_action text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; target text; accts uuid[]; amts bigint[];
BEGIN
  target := CASE p_action WHEN 'post' THEN 'posted' WHEN 'void' THEN 'voided' END;
  IF target IS NULL THEN RAISE EXCEPTION 'unknown settle action %', p_action USING ERRCODE = 'invalid_parameter_value'; END IF;
  UPDATE ledger_transactions SET status = target, settled_at = now() WHERE id = p_id AND status = 'pending';
  IF NOT FOUND THEN
    SELECT status INTO st FROM ledger_transactions WHERE id = p_id;
    IF st IS NULL THEN RETURN 'missing'; END IF;
    IF st = target THEN RETURN 'replay:' || st; END IF;
    RETURN 'state:' || st;
  END IF;
  SELECT array_agg(account_id), array_agg(amount) INTO accts, amts FROM ledger_entries WHERE transaction_id = p_id;
  PERFORM ledger_apply(accts, amts, true, -1, p_action = 'post');
  RETURN 'new:' || target;
END $$;
--> statement-breakpoint
-- Sum-to-zero, still enforced by the database but once per INSERT statement instead of once per
-- entry row at commit: every statement's entries, grouped by transaction, must sum to zero with at
-- least two entries. As entries are immutable, zero-sum statements keep every transaction at zero.
CREATE OR REPLACE FUNCTION ledger_entries_balanced_stmt() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad uuid; s numeric;
BEGIN
  SELECT transaction_id, SUM(amount) INTO bad, s FROM new_entries GROUP BY transaction_id
  HAVING SUM(amount) <> 0 OR COUNT(*) < 2 LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'ledger transaction % does not balance (sum %) or has fewer than two entries', bad, s
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entries_balanced';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS ledger_entries_balanced ON ledger_entries;
--> statement-breakpoint
CREATE TRIGGER ledger_entries_balanced_stmt AFTER INSERT ON ledger_entries
  REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_balanced_stmt();
