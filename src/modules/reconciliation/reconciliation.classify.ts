import { sql, type SQL } from 'drizzle-orm';
import { chunkLinesFilter, linesCte, pmCte, type ChunkPm } from './reconciliation.sql.js';

const PROBLEM = sql.raw(`('paid_late', 'underpaid', 'overpaid', 'rejected', 'wrong_account', 'missing', 'duplicate')`);

/** The per-line figures every classified line carries (simple and complex lines alike, same order). */
const LINE_COLS = ['id', 'project_id', 'worker_id', 'month', 'net_fen', 'status', 'paid_fen', 'paid_on', 'reason_code', 'inferred', 'paid_by',
  'recon_version', 'county_code', 'pay_date', 'deadline'];
const lineCols = (a: string) => sql.raw(LINE_COLS.map((c) => `${a}.${c}`).join(', '));

/**
 * Records paying a line under another EndToEndId and claimed statement rows. Other EndToEndIds are
 * clearing instructions (deposit draw / GC advance) and card-fix re-pays: the latter are the
 * employer's money from the wage account the rejected attempt used, so their payer is the employer
 * (as in keysCte), not the GC. Usually there are none: `extraExistsSql` asks first, and without them
 * the relation is empty by construction (no join of the whole chunk against nothing).
 */
const extraSelect = sql`
    SELECT i.payroll_line_id AS line_id, i.project_id AS line_project, CASE b.kind WHEN 'deposit_draw' THEN 'deposit' WHEN 'card_fix' THEN 'employer' ELSE 'gc' END AS payer, false AS x_inferred,
      r.id AS rid, r.kind, r.status AS r_status, r.reason_code AS r_reason, r.amount_fen, r.value_date, r.card_bidx, r.received_at,
      (r.kind = 'result' AND r.status IN ('ACSC', 'ACCC')) AS settled
    FROM batches b JOIN instructions i ON i.batch_id = b.id AND i.project_id = b.project_id
    JOIN bank_records r ON r.end_to_end_id = i.end_to_end_id AND r.kind IN ('result', 'return')
    WHERE b.project_id IN (SELECT project_id FROM pm) AND b.kind <> 'payroll' AND i.payroll_line_id IS NOT NULL
    UNION ALL
    SELECT m.line_id, m.project_id, 'employer', true, r.id, 'result', coalesce(r.status, 'ACSC'), r.reason_code, r.amount_fen, r.value_date, r.card_bidx,
      r.received_at, coalesce(r.status, 'ACSC') IN ('ACSC', 'ACCC')
    FROM recon_inferred_matches m JOIN bank_records r ON r.id = m.bank_record_id
    WHERE m.project_id IN (SELECT project_id FROM pm)`;

const extraCte = (present: boolean): SQL => (present ? sql`extra AS (${extraSelect}),` : sql`extra AS (SELECT * FROM (${extraSelect}) e WHERE false),`);

/** Whether the chunk has any clearing or claimed statement records (one cheap probe). */
export function extraExistsSql(pms: ChunkPm[]): SQL {
  return sql`WITH ${pmCte(pms)} SELECT EXISTS (${extraSelect}) AS any`;
}

/**
 * The chunk's lines, each with its own-EndToEndId records (one row per record, or one row without).
 *
 * A big chunk (most of a month) meets the records in a FULL join kept as such by OFFSET 0, then
 * filtered to the chunk's lines: for a LEFT join the planner hashed the chunk's wide line rows a
 * second time (already hashed once to meet the workers); for the full join it hashes one side once
 * (6.8 s -> 3.7 s for the join of a 500,000-line chunk). A full join cannot probe an index, though,
 * so a small chunk (one batch) keeps the LEFT join and its index probes: a full join would read every
 * bank record there is.
 */
function ownRecords(big: boolean): SQL {
  const cols = sql`${lineCols('l')}, l.reg_card, r.id AS rid, r.kind, r.status AS r_status, r.reason_code AS r_reason, r.amount_fen, r.value_date,
        r.card_bidx, r.received_at, (r.kind = 'result' AND r.status IN ('ACSC', 'ACCC')) AS settled`;
  return big
    ? sql`SELECT * FROM (
      SELECT ${cols}
      FROM l FULL JOIN (SELECT * FROM bank_records WHERE kind IN ('result', 'return')) r ON r.end_to_end_id = l.end_to_end_id
      OFFSET 0) x
    WHERE x.id IS NOT NULL`
    : sql`SELECT ${cols} FROM l LEFT JOIN bank_records r ON r.end_to_end_id = l.end_to_end_id AND r.kind IN ('result', 'return')`;
}

/**
 * Classify every line of the chunk and write only what changed: the line, a history row with the
 * new version, and an outbox event when the change matters — all in the caller's transaction.
 *
 * Shape (why it is fast): nearly every line has exactly one bank record, found by its own
 * EndToEndId. So the lines are joined once with their own records (`lr`, the same hash join the
 * benchmark's floor does) and classified straight from that row. Only the few "complex" lines —
 * several records (a result and its return, duplicates), a clearing payment (deposit draw / GC
 * advance) or a claimed statement row — go through the per-line aggregation. Shared cards (one card
 * receiving settled wages of several workers in a project-month) are found by counting records per
 * card first and checking distinct workers only on the cards that received more than one.
 * A settled card is the worker's own when it is, or was, a paying card of the worker on the project
 * (worker_cards: active, legacy, replaced or invalid) — a legitimate card change is not a foreign card.
 */
export function classifySql(pms: ChunkPm[], asOf: string, opts: { extra: boolean; big: boolean }): SQL {
  return sql`WITH ${pmCte(pms)}, ${linesCte(pms)},
  lr AS MATERIALIZED (${ownRecords(opts.big)}),
${extraCte(opts.extra)}
  -- restricted to the chunk's lines (a hash of the few extra rows probed by one scan of lr)
  ex AS MATERIALIZED (
    SELECT DISTINCT ON (e.line_id, e.rid) e.*, x.project_id, x.month, x.worker_id, x.reg_card
    FROM extra e JOIN lr x ON x.id = e.line_id AND x.project_id = e.line_project ORDER BY e.line_id, e.rid),
  cnt AS MATERIALIZED (SELECT id AS line_id, project_id, count(*) AS n FROM lr WHERE rid IS NOT NULL GROUP BY id, project_id HAVING count(*) > 1),
  complex AS MATERIALIZED (SELECT line_id, project_id FROM cnt UNION SELECT line_id, project_id FROM ex),
  settled_cards AS NOT MATERIALIZED (
    SELECT project_id, month, card_bidx, worker_id FROM lr WHERE settled AND card_bidx IS NOT NULL
    UNION ALL SELECT project_id, month, card_bidx, worker_id FROM ex WHERE settled AND card_bidx IS NOT NULL),
  -- cards with more than one settled record in a project (any month: two hash keys instead of three),
  -- then the exact rule on those few: several workers in the same project-month
  card_multi AS (SELECT project_id, card_bidx FROM settled_cards GROUP BY 1, 2 HAVING count(*) > 1),
  shared AS MATERIALIZED (
    SELECT s.project_id, s.month, s.card_bidx FROM settled_cards s JOIN card_multi c USING (project_id, card_bidx)
    GROUP BY 1, 2, 3 HAVING count(DISTINCT s.worker_id) > 1),
  -- simple lines: at most one own record, nothing else; classified from that row
  c1s AS (
    SELECT ${lineCols('s')},
      CASE WHEN s.settled THEN 1 WHEN s.kind = 'return' THEN -1 ELSE 0 END AS n_net,
      CASE WHEN s.settled THEN s.amount_fen ELSE 0 END AS paid,
      CASE WHEN s.settled THEN s.value_date END AS last_paid_on,
      coalesce(s.settled AND s.card_bidx IS NOT NULL AND s.card_bidx IS DISTINCT FROM s.reg_card
        AND NOT EXISTS (SELECT 1 FROM worker_cards k WHERE k.project_id = s.project_id AND k.worker_id = s.worker_id AND k.card_bidx = s.card_bidx AND k.status IN ('active', 'legacy', 'replaced', 'invalid')), false) AS foreign_card,
      coalesce(s.settled AND sh.card_bidx IS NOT NULL, false) AS shared_card,
      (s.kind = 'return')::int AS n_ret, coalesce(s.kind = 'result' AND s.r_status = 'RJCT', false)::int AS n_rej,
      coalesce(s.kind = 'result' AND s.r_status IN ('ACSP', 'PDNG'), false)::int AS n_pend,
      CASE WHEN s.kind = 'return' THEN s.r_reason END AS ret_reason,
      CASE WHEN s.kind = 'result' AND s.r_status = 'RJCT' THEN s.r_reason END AS rej_reason,
      false AS new_inferred,
      CASE WHEN s.rid IS NULL THEN '{}'::uuid[] ELSE ARRAY[s.rid] END AS rids,
      CASE WHEN s.settled THEN 'employer' END AS payer
    FROM lr s LEFT JOIN shared sh ON sh.project_id = s.project_id AND sh.month = s.month AND sh.card_bidx = s.card_bidx
    WHERE NOT EXISTS (SELECT 1 FROM complex c WHERE c.line_id = s.id AND c.project_id = s.project_id)),
  -- complex lines: every record of theirs, aggregated per line
  rs AS MATERIALIZED (
    SELECT x.id AS line_id, 'employer'::text AS payer, false AS x_inferred, x.rid, x.kind, x.r_status, x.r_reason, x.amount_fen, x.value_date,
      x.card_bidx, x.received_at, x.settled, x.project_id, x.month, x.reg_card, x.worker_id
    FROM lr x WHERE x.rid IS NOT NULL AND (x.id, x.project_id) IN (SELECT line_id, project_id FROM complex)
    UNION ALL
    SELECT line_id, payer, x_inferred, rid, kind, r_status, r_reason, amount_fen, value_date, card_bidx, received_at, settled, project_id, month, reg_card, worker_id FROM ex),
  agg AS (
    SELECT rs.line_id, rs.project_id,
      count(*) FILTER (WHERE settled) - count(*) FILTER (WHERE kind = 'return') AS n_net,
      greatest(coalesce(sum(amount_fen) FILTER (WHERE settled), 0) - coalesce(sum(amount_fen) FILTER (WHERE kind = 'return'), 0), 0)::bigint AS paid,
      max(value_date) FILTER (WHERE settled) AS last_paid_on,
      coalesce(bool_or(settled AND rs.card_bidx IS NOT NULL AND rs.card_bidx IS DISTINCT FROM reg_card
        AND NOT EXISTS (SELECT 1 FROM worker_cards k WHERE k.project_id = rs.project_id AND k.worker_id = rs.worker_id AND k.card_bidx = rs.card_bidx AND k.status IN ('active', 'legacy', 'replaced', 'invalid'))), false) AS foreign_card,
      coalesce(bool_or(settled AND sh.card_bidx IS NOT NULL), false) AS shared_card,
      count(*) FILTER (WHERE kind = 'return') AS n_ret,
      count(*) FILTER (WHERE kind = 'result' AND r_status = 'RJCT') AS n_rej,
      count(*) FILTER (WHERE kind = 'result' AND r_status IN ('ACSP', 'PDNG')) AS n_pend,
      bool_or(settled AND payer = 'deposit') AS by_deposit, bool_or(settled AND payer = 'gc') AS by_gc,
      bool_or(settled AND payer = 'employer') AS by_employer, bool_or(x_inferred) AS inferred,
      array_agg(rid ORDER BY rid) AS rids
    FROM rs LEFT JOIN shared sh ON sh.project_id = rs.project_id AND sh.month = rs.month AND sh.card_bidx = rs.card_bidx
    GROUP BY rs.line_id, rs.project_id),
  -- the latest reason per line among its rejections and returns
  rej AS (
    SELECT DISTINCT ON (line_id) line_id, project_id, r_reason FROM rs WHERE kind = 'result' AND r_status = 'RJCT'
    ORDER BY line_id, value_date DESC, received_at DESC, rid DESC),
  ret AS (
    SELECT DISTINCT ON (line_id) line_id, project_id, r_reason FROM rs WHERE kind = 'return'
    ORDER BY line_id, value_date DESC, received_at DESC, rid DESC),
  cl AS (SELECT DISTINCT ON (x.id) x.* FROM lr x WHERE (x.id, x.project_id) IN (SELECT line_id, project_id FROM complex) ORDER BY x.id),
  c1c AS (
    SELECT ${lineCols('cl')}, coalesce(a.n_net, 0) AS n_net, coalesce(a.paid, 0) AS paid, a.last_paid_on, coalesce(a.foreign_card, false) AS foreign_card,
      coalesce(a.shared_card, false) AS shared_card, coalesce(a.n_ret, 0)::int AS n_ret, coalesce(a.n_rej, 0)::int AS n_rej,
      coalesce(a.n_pend, 0)::int AS n_pend, ret.r_reason AS ret_reason, rej.r_reason AS rej_reason, coalesce(a.inferred, false) AS new_inferred,
      coalesce(a.rids, '{}'::uuid[]) AS rids,
      CASE WHEN a.by_deposit THEN 'deposit' WHEN a.by_gc THEN 'gc' WHEN a.by_employer THEN 'employer' END AS payer
    FROM cl LEFT JOIN agg a ON a.line_id = cl.id AND a.project_id = cl.project_id
      LEFT JOIN rej ON rej.line_id = cl.id AND rej.project_id = cl.project_id LEFT JOIN ret ON ret.line_id = cl.id AND ret.project_id = cl.project_id),
  c1 AS (SELECT * FROM c1s UNION ALL SELECT * FROM c1c),
  c2 AS (
    SELECT c1.*,
      CASE
        WHEN n_net >= 1 AND (foreign_card OR shared_card) THEN 'wrong_account'
        WHEN n_net >= 2 AND paid > net_fen THEN 'duplicate'
        WHEN n_net >= 1 AND paid < net_fen THEN 'underpaid'
        WHEN n_net >= 1 AND paid > net_fen THEN 'overpaid'
        -- a deposit draw or GC advance clears a line late by nature: it counts as paid
        WHEN n_net >= 1 AND payer = 'employer' AND last_paid_on > pay_date THEN 'paid_late'
        WHEN n_net >= 1 THEN 'paid'
        WHEN n_ret > 0 OR n_rej > 0 THEN 'rejected'
        WHEN n_pend > 0 THEN 'pending'
        WHEN ${asOf}::date > deadline THEN 'missing'
        ELSE 'pending'
      END AS new_status
    FROM c1),
  cls AS (
    SELECT c2.*,
      CASE new_status
        WHEN 'wrong_account' THEN CASE WHEN foreign_card THEN 'NOT_OWN_CARD' ELSE 'SHARED_CARD' END
        WHEN 'rejected' THEN CASE WHEN n_ret > 0 THEN ret_reason ELSE rej_reason END
      END AS new_reason_code,
      CASE WHEN n_net >= 1 THEN paid ELSE 0 END AS new_paid,
      CASE WHEN n_net >= 1 THEN last_paid_on END AS new_paid_on,
      CASE WHEN n_net >= 1 THEN payer END AS new_paid_by,
      CASE new_status
        WHEN 'wrong_account' THEN CASE WHEN foreign_card THEN 'not_own_card' ELSE 'shared_card' END
        WHEN 'duplicate' THEN 'duplicate_settlement'
        WHEN 'underpaid' THEN 'amount_short'
        WHEN 'overpaid' THEN 'amount_over'
        WHEN 'paid_late' THEN 'settled_after_pay_date'
        WHEN 'paid' THEN CASE payer WHEN 'employer' THEN 'settled' ELSE 'cleared_by_' || payer END
        WHEN 'rejected' THEN CASE WHEN n_ret > 0 THEN 'returned:' || coalesce(ret_reason, '') ELSE 'rejected:' || coalesce(rej_reason, '') END
        WHEN 'missing' THEN 'nothing_by_deadline'
        ELSE CASE WHEN n_pend > 0 THEN 'pending_at_bank' ELSE 'awaiting_result' END
      END AS why
    FROM c2),
  chg AS (
    SELECT cls.*,
      -- routine: the plain first settlement; recorded compactly (recon_routine_history)
      (status = 'pending' AND new_status = 'paid' AND new_paid_by = 'employer' AND NOT new_inferred
        AND new_reason_code IS NULL AND cardinality(rids) = 1) AS routine
    FROM cls
    WHERE new_status IS DISTINCT FROM status OR new_paid IS DISTINCT FROM paid_fen OR new_paid_on IS DISTINCT FROM paid_on
      OR new_reason_code IS DISTINCT FROM reason_code OR new_inferred IS DISTINCT FROM inferred OR new_paid_by IS DISTINCT FROM paid_by),
  -- the update streams the changes; what history and events need comes back from RETURNING (one
  -- materialised copy of the changed rows instead of two)
  upd AS (
    UPDATE payroll_lines pl SET status = chg.new_status, paid_fen = chg.new_paid, paid_on = chg.new_paid_on,
      reason_code = chg.new_reason_code, inferred = chg.new_inferred, paid_by = chg.new_paid_by,
      recon_version = pl.recon_version + 1, updated_at = now()
    FROM chg WHERE pl.id = chg.id AND pl.project_id = chg.project_id AND ${chunkLinesFilter(pms, 'pl')}
    RETURNING pl.id, pl.recon_version AS version /* the new one */, pl.project_id, pl.payroll_id, pl.worker_id, pl.employer_id, pl.month, pl.net_fen,
      chg.county_code, chg.status AS from_status, chg.new_status, chg.why, chg.new_reason_code, chg.new_paid, chg.new_paid_on,
      chg.new_inferred, chg.new_paid_by, chg.rids, chg.routine),
  hist AS (
    INSERT INTO recon_line_history (line_id, version, project_id, payroll_id, from_status, to_status, reason, reason_code,
      paid_fen, paid_on, inferred, paid_by, bank_record_ids, as_of)
    SELECT id, version, project_id, payroll_id, from_status, new_status, why, new_reason_code,
      new_paid, new_paid_on, new_inferred, new_paid_by, rids, ${asOf}::date
    FROM upd WHERE NOT routine
    RETURNING 1),
  routine AS (
    INSERT INTO recon_routine_history (payroll_id, project_id, line_ids, versions, paid_fen, paid_on, bank_record_ids, as_of)
    SELECT payroll_id, project_id, array_agg(id), array_agg(version), array_agg(new_paid), array_agg(new_paid_on),
      array_agg(rids[1]), ${asOf}::date
    FROM upd WHERE routine GROUP BY payroll_id, project_id
    RETURNING cardinality(line_ids) AS n),
  ev AS (
    -- the event id derives from line + version: a replay of the same change can never emit twice
    INSERT INTO outbox (id, type, project_id, company_id, county_code, payload)
    SELECT md5('line.status_changed:' || id || ':' || version)::uuid, 'line.status_changed', project_id, employer_id, county_code,
      jsonb_build_object('lineId', id, 'payrollId', payroll_id, 'workerId', worker_id, 'month', month, 'from', from_status, 'to', new_status,
        'reason', why, 'reasonCode', new_reason_code, 'netFen', net_fen, 'paidFen', new_paid, 'paidOn', new_paid_on,
        'paidBy', new_paid_by, 'inferred', new_inferred, 'version', version, 'bankRecordIds', to_jsonb(rids), 'asOf', ${asOf}::text)
    FROM upd
    WHERE new_status <> from_status AND (new_status IN ${PROBLEM} OR from_status IN ${PROBLEM})
    RETURNING 1 /* an id emitted before is skipped by the outbox's key trigger (0081) */)
  -- lines = rows of lr minus the extra rows of lines with several own records
  SELECT ((SELECT count(*) FROM lr) - (SELECT coalesce(sum(n - 1), 0) FROM cnt))::int AS lines, (SELECT count(*) FROM upd)::int AS changed,
    (SELECT count(*) FROM hist)::int + (SELECT coalesce(sum(n), 0) FROM routine)::int AS history, (SELECT count(*) FROM ev)::int AS events`;
}
