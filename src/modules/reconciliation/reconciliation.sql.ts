import { sql, type SQL } from 'drizzle-orm';

/** One project-month of a chunk with the dates it is judged against. */
export interface ChunkPm {
  projectId: string;
  month: string;
  countyCode: string;
  payDate: string;
  deadline: string;
  windowDays: number;
}

const arr = (xs: (string | number)[]) => `{${xs.join(',')}}`;

/** The chunk's project-months as a relation `pm` (arrays keep it one bind parameter per column). */
function pmCte(pms: ChunkPm[]): SQL {
  return sql`pm AS (
    SELECT * FROM unnest(${arr(pms.map((p) => p.projectId))}::uuid[], ${arr(pms.map((p) => p.month))}::text[],
      ${arr(pms.map((p) => p.countyCode))}::text[], ${arr(pms.map((p) => p.payDate))}::date[],
      ${arr(pms.map((p) => p.deadline))}::date[], ${arr(pms.map((p) => p.windowDays))}::int[])
      AS t(project_id, month, county_code, pay_date, deadline, window_days))`;
}

/**
 * Lines of the chunk (live sheets only: a superseded sheet's lines are never paid), as a CTE read
 * in the same statement that classifies them: no temp-table copy of every line per chunk.
 */
const linesCte = sql`l AS (
    SELECT pl.id, pl.project_id, pl.payroll_id, pl.worker_id, pl.employer_id, pl.month, pl.net_fen, pl.end_to_end_id,
      pl.status, pl.paid_fen, pl.paid_on, pl.reason_code, pl.inferred, pl.paid_by, pl.recon_version,
      pm.county_code, pm.pay_date, pm.deadline, pm.window_days, w.bank_card_bidx AS reg_card
    FROM payroll_lines pl
    JOIN pm ON pm.project_id = pl.project_id AND pm.month = pl.month
    JOIN payrolls p ON p.id = pl.payroll_id AND p.status <> 'superseded'
    JOIN workers w ON w.id = pl.worker_id)`;

/**
 * Whether any statement row (no EndToEndId) could still be claimed by a line of the chunk: the
 * partial index on such rows answers it, and when none exists the claim step is skipped.
 */
export function statementRowsSql(pms: ChunkPm[]): SQL {
  return sql`WITH ${pmCte(pms)}
    SELECT EXISTS (
      SELECT 1 FROM bank_records r
      WHERE r.end_to_end_id IS NULL AND r.card_bidx IS NOT NULL AND r.kind IN ('result', 'debit')
        AND r.value_date BETWEEN (SELECT min(pay_date - window_days) FROM pm) AND (SELECT max(pay_date + window_days) FROM pm)
        AND (r.project_id IS NULL OR r.project_id IN (SELECT project_id FROM pm))
        AND NOT EXISTS (SELECT 1 FROM recon_inferred_matches m WHERE m.bank_record_id = r.id)) AS any`;
}

/**
 * Every EndToEndId that pays a line: the line's own (payroll batch) and those of deposit-draw /
 * GC-advance instructions naming it. Clearing batches are few, so they are found through the
 * project's batches rather than an index on instructions.payroll_line_id.
 */
const keysCte = sql`clr AS (
    SELECT i.end_to_end_id AS e2e, i.payroll_line_id AS line_id, CASE b.kind WHEN 'deposit_draw' THEN 'deposit' ELSE 'gc' END AS payer
    FROM batches b JOIN instructions i ON i.batch_id = b.id
    WHERE b.project_id IN (SELECT project_id FROM pm) AND b.kind <> 'payroll' AND i.payroll_line_id IS NOT NULL),
  keys AS (
    SELECT l.id AS line_id, l.end_to_end_id AS e2e, 'employer'::text AS payer, l.project_id, l.month, l.worker_id, l.reg_card FROM l
    UNION ALL
    SELECT c.line_id, c.e2e, c.payer, l.project_id, l.month, l.worker_id, l.reg_card FROM clr c JOIN l ON l.id = c.line_id)`;

/**
 * Claim statement rows without EndToEndId for lines that have no settled result of their own:
 * same registered card, same amount, value date within the window around the pay date. A record
 * and a line are paired only when each is the other's first choice, so a claim is one-to-one and
 * the same on every run; claims persist (recon_inferred_matches) and are never taken twice.
 */
export function claimInferredSql(pms: ChunkPm[]): SQL {
  return sql`WITH ${pmCte(pms)}, ${linesCte}, ${keysCte},
  open_lines AS (
    SELECT l.* FROM l
    WHERE l.reg_card IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM recon_inferred_matches m WHERE m.line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM keys k JOIN bank_records r ON r.end_to_end_id = k.e2e
                      WHERE k.line_id = l.id AND r.kind = 'result' AND r.status IN ('ACSC', 'ACCC'))),
  cand AS (
    SELECT o.id AS line_id, o.project_id, r.id AS rid,
      row_number() OVER (PARTITION BY r.id ORDER BY o.id) AS rk_r,
      row_number() OVER (PARTITION BY o.id ORDER BY abs(r.value_date - o.pay_date), r.id) AS rk_l
    FROM open_lines o
    JOIN bank_records r ON r.end_to_end_id IS NULL AND r.card_bidx = o.reg_card AND r.amount_fen = o.net_fen
      AND r.kind IN ('result', 'debit') AND coalesce(r.status, 'ACSC') IN ('ACSC', 'ACCC')
      AND r.value_date BETWEEN o.pay_date - o.window_days AND o.pay_date + o.window_days
      AND (r.project_id IS NULL OR r.project_id = o.project_id)
    WHERE NOT EXISTS (SELECT 1 FROM recon_inferred_matches m WHERE m.bank_record_id = r.id)),
  ins AS (
    INSERT INTO recon_inferred_matches (bank_record_id, line_id, project_id)
    SELECT rid, line_id, project_id FROM cand WHERE rk_r = 1 AND rk_l = 1
    ON CONFLICT DO NOTHING RETURNING bank_record_id)
  -- a statement row flagged orphan before its line could claim it is an orphan no more
  DELETE FROM recon_orphans o USING ins WHERE o.bank_record_id = ins.bank_record_id`;
}

/**
 * Classify every line of the chunk and write only what changed: the line, a history row with the
 * new version, and an outbox event when the change matters — all in the caller's transaction.
 * Returns counts.
 */
export function classifySql(pms: ChunkPm[], asOf: string): SQL {
  return sql`WITH ${pmCte(pms)}, ${linesCte}, ${keysCte},
  rs AS MATERIALIZED (
    SELECT k.line_id, k.payer, k.project_id, k.month, k.worker_id, k.reg_card, r.id AS rid, r.kind, r.status, r.reason_code,
      r.amount_fen, r.value_date, r.card_bidx, false AS inferred, r.received_at,
      (r.kind = 'result' AND r.status IN ('ACSC', 'ACCC')) AS settled
    FROM keys k JOIN bank_records r ON r.end_to_end_id = k.e2e AND r.kind IN ('result', 'return')
    UNION ALL
    SELECT l.id, 'employer', l.project_id, l.month, l.worker_id, l.reg_card, r.id, 'result', coalesce(r.status, 'ACSC'), r.reason_code,
      r.amount_fen, r.value_date, r.card_bidx, true, r.received_at, coalesce(r.status, 'ACSC') IN ('ACSC', 'ACCC')
    FROM recon_inferred_matches m JOIN l ON l.id = m.line_id JOIN bank_records r ON r.id = m.bank_record_id),
  -- one card receiving settled wages of several workers in the same project-month
  -- (two hash aggregates: distinct workers per card, then cards with more than one)
  card_workers AS (
    SELECT DISTINCT project_id, month, card_bidx, worker_id FROM rs WHERE settled AND card_bidx IS NOT NULL),
  shared AS (
    SELECT project_id, month, card_bidx FROM card_workers GROUP BY 1, 2, 3 HAVING count(*) > 1),
  agg AS (
    SELECT rs.line_id,
      count(*) FILTER (WHERE settled) - count(*) FILTER (WHERE kind = 'return') AS n_net,
      -- float8 sums of integer fen are exact below 2^53 and avoid a numeric state per line
      greatest(coalesce(sum(amount_fen::float8) FILTER (WHERE settled), 0) - coalesce(sum(amount_fen::float8) FILTER (WHERE kind = 'return'), 0), 0)::bigint AS paid,
      max(value_date) FILTER (WHERE settled) AS last_paid_on,
      coalesce(bool_or(settled AND rs.card_bidx IS NOT NULL AND rs.card_bidx IS DISTINCT FROM reg_card), false) AS foreign_card,
      coalesce(bool_or(settled AND sh.card_bidx IS NOT NULL), false) AS shared_card,
      count(*) FILTER (WHERE kind = 'return') AS n_ret,
      count(*) FILTER (WHERE kind = 'result' AND status = 'RJCT') AS n_rej,
      count(*) FILTER (WHERE kind = 'result' AND status IN ('ACSP', 'PDNG')) AS n_pend,
      bool_or(settled AND payer = 'deposit') AS by_deposit,
      bool_or(settled AND payer = 'gc') AS by_gc,
      bool_or(settled AND payer = 'employer') AS by_employer,
      bool_or(inferred) AS inferred,
      count(*) AS n_rec,
      -- the record of a single-record line; several records are listed by multi_rids
      max(rid::text)::uuid AS rid1
    FROM rs LEFT JOIN shared sh ON sh.project_id = rs.project_id AND sh.month = rs.month AND sh.card_bidx = rs.card_bidx
    GROUP BY rs.line_id),
  multi_rids AS (
    SELECT line_id, array_agg(rid ORDER BY rid) AS rids FROM rs
    WHERE line_id IN (SELECT line_id FROM agg WHERE n_rec > 1) GROUP BY line_id),
  -- the latest reason per line, from the few rejections and returns (no per-line sort of all records)
  rej AS (
    SELECT DISTINCT ON (line_id) line_id, reason_code FROM rs WHERE kind = 'result' AND status = 'RJCT'
    ORDER BY line_id, value_date DESC, received_at DESC, rid DESC),
  ret AS (
    SELECT DISTINCT ON (line_id) line_id, reason_code FROM rs WHERE kind = 'return'
    ORDER BY line_id, value_date DESC, received_at DESC, rid DESC),
  c1 AS (
    SELECT l.*, coalesce(a.n_net, 0) AS n_net, coalesce(a.paid, 0) AS paid, a.last_paid_on, coalesce(a.foreign_card, false) AS foreign_card,
      coalesce(a.shared_card, false) AS shared_card, coalesce(a.n_ret, 0) AS n_ret, coalesce(a.n_rej, 0) AS n_rej,
      coalesce(a.n_pend, 0) AS n_pend, ret.reason_code AS ret_reason, rej.reason_code AS rej_reason, coalesce(a.inferred, false) AS new_inferred,
      CASE WHEN a.n_rec > 1 THEN mr.rids WHEN a.n_rec = 1 THEN ARRAY[a.rid1] ELSE '{}'::uuid[] END AS rids,
      CASE WHEN a.by_deposit THEN 'deposit' WHEN a.by_gc THEN 'gc' WHEN a.by_employer THEN 'employer' END AS payer
    FROM l LEFT JOIN agg a ON a.line_id = l.id LEFT JOIN rej ON rej.line_id = l.id LEFT JOIN ret ON ret.line_id = l.id
      LEFT JOIN multi_rids mr ON mr.line_id = l.id),
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
  chg AS MATERIALIZED (
    SELECT cls.*,
      -- routine: the plain first settlement; recorded compactly (recon_routine_history)
      (status = 'pending' AND new_status = 'paid' AND new_paid_by = 'employer' AND NOT new_inferred
        AND new_reason_code IS NULL AND cardinality(rids) = 1) AS routine
    FROM cls
    WHERE new_status IS DISTINCT FROM status OR new_paid IS DISTINCT FROM paid_fen OR new_paid_on IS DISTINCT FROM paid_on
      OR new_reason_code IS DISTINCT FROM reason_code OR new_inferred IS DISTINCT FROM inferred OR new_paid_by IS DISTINCT FROM paid_by),
  upd AS (
    UPDATE payroll_lines pl SET status = chg.new_status, paid_fen = chg.new_paid, paid_on = chg.new_paid_on,
      reason_code = chg.new_reason_code, inferred = chg.new_inferred, paid_by = chg.new_paid_by,
      recon_version = pl.recon_version + 1, updated_at = now()
    FROM chg WHERE pl.id = chg.id
    RETURNING 1),
  hist AS (
    INSERT INTO recon_line_history (line_id, version, project_id, payroll_id, from_status, to_status, reason, reason_code,
      paid_fen, paid_on, inferred, paid_by, bank_record_ids, as_of)
    SELECT id, recon_version + 1, project_id, payroll_id, status, new_status, why, new_reason_code,
      new_paid, new_paid_on, new_inferred, new_paid_by, rids, ${asOf}::date
    FROM chg WHERE NOT routine
    RETURNING 1),
  routine AS (
    INSERT INTO recon_routine_history (payroll_id, project_id, line_ids, versions, paid_fen, paid_on, bank_record_ids, as_of)
    SELECT payroll_id, project_id, array_agg(id), array_agg(recon_version + 1), array_agg(new_paid), array_agg(new_paid_on),
      array_agg(rids[1]), ${asOf}::date
    FROM chg WHERE routine GROUP BY payroll_id, project_id
    RETURNING cardinality(line_ids) AS n),
  ev AS (
    -- the event id derives from line + version: a replay of the same change can never emit twice
    INSERT INTO outbox (id, type, project_id, company_id, county_code, payload)
    SELECT md5('line.status_changed:' || id || ':' || (recon_version + 1))::uuid, 'line.status_changed', project_id, employer_id, county_code,
      jsonb_build_object('lineId', id, 'payrollId', payroll_id, 'workerId', worker_id, 'month', month, 'from', status, 'to', new_status,
        'reason', why, 'reasonCode', new_reason_code, 'netFen', net_fen, 'paidFen', new_paid, 'paidOn', new_paid_on,
        'paidBy', new_paid_by, 'inferred', new_inferred, 'version', recon_version + 1, 'bankRecordIds', to_jsonb(rids), 'asOf', ${asOf}::text)
    FROM chg
    WHERE new_status <> status AND (new_status IN ('paid_late', 'underpaid', 'overpaid', 'rejected', 'wrong_account', 'missing', 'duplicate')
      OR status IN ('paid_late', 'underpaid', 'overpaid', 'rejected', 'wrong_account', 'missing', 'duplicate'))
    ON CONFLICT (id) DO NOTHING
    RETURNING 1)
  SELECT (SELECT count(*) FROM l)::int AS lines, (SELECT count(*) FROM upd)::int AS changed,
    (SELECT count(*) FROM hist)::int + (SELECT coalesce(sum(n), 0) FROM routine)::int AS history, (SELECT count(*) FROM ev)::int AS events`;
}

/** Serialise work on the same project-months (a batch job and a month job may overlap). */
export function lockSql(pms: ChunkPm[]): SQL {
  return sql`SELECT count(pg_advisory_xact_lock(k)) FROM (
    SELECT DISTINCT hashtextextended('recon:' || p || ':' || m, 0) AS k
    FROM unnest(${arr(pms.map((p) => p.projectId))}::text[], ${arr(pms.map((p) => p.month))}::text[]) AS t(p, m) ORDER BY 1) s`;
}

/**
 * Results and returns that match no line become orphans, once each (the event id derives from the
 * record). Scope: the given banks, records of the given projects or of no known project, value date
 * on or after `fromDate`.
 */
export function orphansSql(bankIds: string[], projectIds: string[], fromDate: string, asOf: string): SQL {
  return sql`WITH cand AS (
    SELECT r.* FROM bank_records r
    WHERE r.kind IN ('result', 'return') AND r.bank_id = ANY(${arr(bankIds)}::uuid[])
      AND (r.project_id IS NULL OR r.project_id = ANY(${arr(projectIds)}::uuid[]))
      AND r.value_date >= ${fromDate}::date
      AND NOT EXISTS (SELECT 1 FROM recon_orphans o WHERE o.bank_record_id = r.id)
      -- plain anti-joins (a NULL EndToEndId equals nothing, so those two pass for statement rows);
      -- instructions first: narrow, and they carry nearly every line's EndToEndId
      AND NOT EXISTS (SELECT 1 FROM recon_inferred_matches m WHERE m.bank_record_id = r.id)
      AND NOT EXISTS (SELECT 1 FROM instructions i WHERE i.end_to_end_id = r.end_to_end_id)
      AND NOT EXISTS (SELECT 1 FROM payroll_lines pl WHERE pl.end_to_end_id = r.end_to_end_id)),
  ins AS (
    INSERT INTO recon_orphans (bank_record_id, bank_id, project_id, end_to_end_id, kind, status, reason_code, amount_fen, value_date, detected_as_of)
    SELECT id, bank_id, project_id, end_to_end_id, kind, status, reason_code, amount_fen, value_date, ${asOf}::date FROM cand
    ON CONFLICT DO NOTHING
    RETURNING *),
  ev AS (
    INSERT INTO outbox (id, type, project_id, company_id, county_code, payload)
    SELECT md5('bank_record.orphan:' || ins.bank_record_id)::uuid, 'bank_record.orphan', ins.project_id, p.general_contractor_id, p.county_code,
      jsonb_build_object('bankRecordId', ins.bank_record_id, 'bankId', ins.bank_id, 'endToEndId', ins.end_to_end_id, 'kind', ins.kind,
        'status', ins.status, 'reasonCode', ins.reason_code, 'amountFen', ins.amount_fen, 'valueDate', ins.value_date, 'asOf', ${asOf}::text)
    FROM ins LEFT JOIN projects p ON p.id = ins.project_id
    ON CONFLICT (id) DO NOTHING
    RETURNING 1)
  SELECT (SELECT count(*) FROM ins)::int AS orphans, (SELECT count(*) FROM ev)::int AS events`;
}
