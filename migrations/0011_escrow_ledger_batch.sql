-- Group posting (TigerBeetle-style batching): many independent postings in one statement and one
-- commit. Hot accounts are locked ONCE per batch (in id order: no deadlock with single postings),
-- so the commit flush that holds the row locks is paid once for the whole batch instead of once
-- per transfer. Each item keeps its own outcome: the guard is checked under the lock before the
-- item is applied (a refused item changes nothing); the CHECK constraint stays as the backstop.
-- Entries: flattened (e_item = 1-based item index). Returns one outcome per item:
-- 'new:<status>' | 'replay:<status>' | 'conflict' | 'insufficient'.
CREATE OR REPLACE FUNCTION ledger_post_batch_seq(p_ids uuid[], p_projects uuid[], p_kinds text[], p_pending boolean[], p_hashes text[],
  p_refs text[], p_effs date[], p_metas jsonb[], e_item int[], e_acct uuid[], e_amt bigint[])
RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
  n int := COALESCE(array_length(p_ids, 1), 0);
  i int;
  res text[] := array_fill(''::text, ARRAY[n]);
  st text; h text; ok boolean; done int[] := '{}';
BEGIN
  -- Sequential path: item by item, each guard checked against the balances left by the items before it.
  PERFORM 1 FROM ledger_accounts WHERE id = ANY(e_acct) ORDER BY id FOR UPDATE;
  FOR i IN 1..n LOOP
    SELECT status, content_hash INTO st, h FROM ledger_transactions WHERE id = p_ids[i];
    IF FOUND THEN
      res[i] := CASE WHEN h = p_hashes[i] THEN 'replay:' || st ELSE 'conflict' END;
      CONTINUE;
    END IF;
    SELECT COALESCE(bool_and(a.allow_negative OR a.posted + d.dp - a.pending_out - d.po >= 0), false) INTO ok
    FROM (SELECT acct,
            SUM(CASE WHEN p_pending[i] THEN 0 ELSE amt END) AS dp,
            SUM(CASE WHEN p_pending[i] AND amt < 0 THEN -amt ELSE 0 END) AS po
          FROM unnest(e_item, e_acct, e_amt) AS x(it, acct, amt) WHERE it = i GROUP BY acct) d
    JOIN ledger_accounts a ON a.id = d.acct;
    IF NOT ok THEN
      res[i] := 'insufficient';
      CONTINUE;
    END IF;
    INSERT INTO ledger_transactions (id, project_id, kind, status, content_hash, reference, effective_date, metadata, settled_at)
    VALUES (p_ids[i], p_projects[i], p_kinds[i], CASE WHEN p_pending[i] THEN 'pending' ELSE 'posted' END, p_hashes[i], p_refs[i], p_effs[i],
            COALESCE(p_metas[i], '{}'::jsonb), CASE WHEN p_pending[i] THEN NULL ELSE now() END)
    ON CONFLICT (id) DO NOTHING;
    IF NOT FOUND THEN
      SELECT status, content_hash INTO st, h FROM ledger_transactions WHERE id = p_ids[i];
      res[i] := CASE WHEN h = p_hashes[i] THEN 'replay:' || st ELSE 'conflict' END;
      CONTINUE;
    END IF;
    UPDATE ledger_accounts a SET posted = a.posted + d.dp, pending_out = a.pending_out + d.po, pending_in = a.pending_in + d.pi
    FROM (SELECT acct,
            SUM(CASE WHEN p_pending[i] THEN 0 ELSE amt END) AS dp,
            SUM(CASE WHEN p_pending[i] AND amt < 0 THEN -amt ELSE 0 END) AS po,
            SUM(CASE WHEN p_pending[i] AND amt > 0 THEN amt ELSE 0 END) AS pi
          FROM unnest(e_item, e_acct, e_amt) AS x(it, acct, amt) WHERE it = i GROUP BY acct) d
    WHERE a.id = d.acct;
    done := done || i;
    res[i] := 'new:' || CASE WHEN p_pending[i] THEN 'pending' ELSE 'posted' END;
  END LOOP;
  -- One entries statement for the batch: the sum-to-zero trigger runs once.
  INSERT INTO ledger_entries (transaction_id, account_id, project_id, amount)
  SELECT p_ids[x.it], x.acct, p_projects[x.it], x.amt FROM unnest(e_item, e_acct, e_amt) AS x(it, acct, amt) WHERE x.it = ANY(done);
  RETURN res;
END $$;

--> statement-breakpoint
-- Fast path, set-based: insert all new transactions, check every guarded account's running
-- available balance in item order with a window sum, and apply all deltas and entries in three
-- statements. If any item would overdraw, the sub-transaction is rolled back and the batch takes
-- the sequential path, which gives each item its exact outcome. Ids must be distinct in a batch.
CREATE OR REPLACE FUNCTION ledger_post_batch(p_ids uuid[], p_projects uuid[], p_kinds text[], p_pending boolean[], p_hashes text[],
  p_refs text[], p_effs date[], p_metas jsonb[], e_item int[], e_acct uuid[], e_amt bigint[])
RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
  new_ids uuid[]; all_ok boolean; res text[];
BEGIN
  PERFORM 1 FROM ledger_accounts WHERE id = ANY(e_acct) ORDER BY id FOR UPDATE;
  BEGIN
    WITH ins AS (
      INSERT INTO ledger_transactions (id, project_id, kind, status, content_hash, reference, effective_date, metadata, settled_at)
      SELECT x.id, x.pr, x.k, CASE WHEN x.pe THEN 'pending' ELSE 'posted' END, x.h, x.r, x.ef, COALESCE(x.m, '{}'::jsonb),
             CASE WHEN x.pe THEN NULL ELSE now() END
      FROM unnest(p_ids, p_projects, p_kinds, p_pending, p_hashes, p_refs, p_effs, p_metas) AS x(id, pr, k, pe, h, r, ef, m)
      ON CONFLICT (id) DO NOTHING RETURNING id)
    SELECT COALESCE(array_agg(id), '{}') INTO new_ids FROM ins;

    SELECT COALESCE(bool_and(q.ok), true) INTO all_ok FROM (
      SELECT a.allow_negative OR a.posted - a.pending_out + SUM(d.delta) OVER (PARTITION BY d.acct ORDER BY d.it) >= 0 AS ok
      FROM (SELECT it, acct, SUM(CASE WHEN p_pending[it] THEN LEAST(amt, 0) ELSE amt END) AS delta
            FROM unnest(e_item, e_acct, e_amt) AS x(it, acct, amt) WHERE p_ids[it] = ANY(new_ids) GROUP BY it, acct) d
      JOIN ledger_accounts a ON a.id = d.acct) q;
    IF NOT all_ok THEN
      RAISE EXCEPTION 'ledger batch needs the sequential path' USING ERRCODE = 'P0001';
    END IF;

    UPDATE ledger_accounts a SET posted = a.posted + d.dp, pending_out = a.pending_out + d.po, pending_in = a.pending_in + d.pi
    FROM (SELECT acct,
            SUM(CASE WHEN p_pending[it] THEN 0 ELSE amt END) AS dp,
            SUM(CASE WHEN p_pending[it] AND amt < 0 THEN -amt ELSE 0 END) AS po,
            SUM(CASE WHEN p_pending[it] AND amt > 0 THEN amt ELSE 0 END) AS pi
          FROM unnest(e_item, e_acct, e_amt) AS x(it, acct, amt) WHERE p_ids[it] = ANY(new_ids) GROUP BY acct) d
    WHERE a.id = d.acct;

    INSERT INTO ledger_entries (transaction_id, account_id, project_id, amount)
    SELECT p_ids[x.it], x.acct, p_projects[x.it], x.amt FROM unnest(e_item, e_acct, e_amt) AS x(it, acct, amt) WHERE p_ids[x.it] = ANY(new_ids);

    SELECT array_agg(CASE
        WHEN x.id = ANY(new_ids) THEN 'new:' || CASE WHEN x.pe THEN 'pending' ELSE 'posted' END
        WHEN t.content_hash = x.h THEN 'replay:' || t.status
        ELSE 'conflict' END ORDER BY x.ord)
    INTO res
    FROM unnest(p_ids, p_pending, p_hashes) WITH ORDINALITY AS x(id, pe, h, ord)
    LEFT JOIN ledger_transactions t ON t.id = x.id AND NOT (x.id = ANY(new_ids));
    RETURN res;
  EXCEPTION WHEN raise_exception THEN
    NULL; -- fall through: the fast path's writes are rolled back, the row locks are kept
  END;
  RETURN ledger_post_batch_seq(p_ids, p_projects, p_kinds, p_pending, p_hashes, p_refs, p_effs, p_metas, e_item, e_acct, e_amt);
END $$;
