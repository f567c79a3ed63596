-- ledger_post_batch v2: insert the batch's transaction rows BEFORE taking the account locks. They
-- need no account lock, so with two batches in flight the next batch's inserts overlap the previous
-- batch's commit flush (which still holds the hot rows). Same outcomes as 0011.
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
  BEGIN
    -- Transaction rows first: they need no account lock, so this overlaps the previous batch's commit.
    WITH ins AS (
      INSERT INTO ledger_transactions (id, project_id, kind, status, content_hash, reference, effective_date, metadata, settled_at)
      SELECT x.id, x.pr, x.k, CASE WHEN x.pe THEN 'pending' ELSE 'posted' END, x.h, x.r, x.ef, COALESCE(x.m, '{}'::jsonb),
             CASE WHEN x.pe THEN NULL ELSE now() END
      FROM unnest(p_ids, p_projects, p_kinds, p_pending, p_hashes, p_refs, p_effs, p_metas) AS x(id, pr, k, pe, h, r, ef, m)
      ON CONFLICT (id) DO NOTHING RETURNING id)
    SELECT COALESCE(array_agg(id), '{}') INTO new_ids FROM ins;
    PERFORM 1 FROM ledger_accounts WHERE id = ANY(e_acct) ORDER BY id FOR UPDATE;

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
