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
export function pmCte(pms: ChunkPm[]): SQL {
  return sql`pm AS (
    SELECT * FROM unnest(${arr(pms.map((p) => p.projectId))}::uuid[], ${arr(pms.map((p) => p.month))}::text[],
      ${arr(pms.map((p) => p.countyCode))}::text[], ${arr(pms.map((p) => p.payDate))}::date[],
      ${arr(pms.map((p) => p.deadline))}::date[], ${arr(pms.map((p) => p.windowDays))}::int[])
      AS t(project_id, month, county_code, pay_date, deadline, window_days))`;
}

/**
 * Lines of the chunk (live sheets only: a superseded sheet's lines are never paid), as a CTE read
 * in the same statement that classifies them: no temp-table copy of every line per chunk.
 *
 * When every project-month of the chunk is in the same month (a month job, a payroll batch, one
 * project-month) the month is a scan filter and the project-months are joined on project_id alone,
 * as an inline `GROUP BY project_id` subquery rather than the `pm` CTE. Why: joining on
 * (project_id, month) made the planner multiply the two selectivities and expect ~1% of the rows;
 * and for a CTE it cannot know that project_id is unique, so it judged probing `pm` costly and
 * hashed all of the month's wide line rows to probe them with pm's few hundred rows instead
 * (1.2–1.6 s per 500,000-line chunk). A grouped subquery tells it the key is unique.
 */
export function linesCte(pms: ChunkPm[]): SQL {
  const months = [...new Set(pms.map((p) => p.month))];
  const pmJoin = months.length === 1
    ? sql`JOIN (
        SELECT project_id, max(county_code) AS county_code, max(pay_date) AS pay_date, max(deadline) AS deadline, max(window_days) AS window_days
        FROM unnest(${arr(pms.map((p) => p.projectId))}::uuid[], ${arr(pms.map((p) => p.countyCode))}::text[], ${arr(pms.map((p) => p.payDate))}::date[],
          ${arr(pms.map((p) => p.deadline))}::date[], ${arr(pms.map((p) => p.windowDays))}::int[]) AS t(project_id, county_code, pay_date, deadline, window_days)
        GROUP BY project_id) pm ON pm.project_id = pl.project_id AND pl.month = ${months[0]!}`
    : sql`JOIN pm ON pm.project_id = pl.project_id AND pm.month = pl.month`;
  return sql`l AS (
    SELECT pl.id, pl.project_id, pl.payroll_id, pl.worker_id, pl.employer_id, pl.month, pl.net_fen, pl.end_to_end_id,
      pl.status, pl.paid_fen, pl.paid_on, pl.reason_code, pl.inferred, pl.paid_by, pl.recon_version,
      pm.county_code, pm.pay_date, pm.deadline, pm.window_days, COALESCE(pc.card_bidx, w.bank_card_bidx) AS reg_card
    FROM payroll_lines pl
    ${pmJoin}
    JOIN payrolls p ON p.id = pl.payroll_id AND p.project_id = pl.project_id AND p.status <> 'superseded'
    JOIN workers w ON w.id = pl.worker_id
    -- The registered card is the one the worker's engagement on this project pays (card custody,
    -- issue 17), not the person's first card; an index probe on worker_cards_paying_idx.
    LEFT JOIN LATERAL (SELECT k.card_bidx FROM worker_cards k WHERE k.project_id = pl.project_id AND k.worker_id = pl.worker_id
      AND k.status IN ('active', 'legacy') ORDER BY k.status_since DESC LIMIT 1) pc ON TRUE)`;
}

/**
 * A filter on `alias` (payroll_lines) that keeps the chunk's rows: the projects as a hashed
 * `= ANY(array)` and, for a single-month chunk, the month. Lets the update's target scan hash only
 * the chunk's rows instead of the whole table.
 */
export function chunkLinesFilter(pms: ChunkPm[], alias: string): SQL {
  const months = [...new Set(pms.map((p) => p.month))];
  const a = sql.raw(alias);
  const projects = sql`${a}.project_id = ANY(${arr([...new Set(pms.map((p) => p.projectId))])}::uuid[])`;
  return months.length === 1 ? sql`${a}.month = ${months[0]!} AND ${projects}` : projects;
}

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
 * GC-advance / card-fix re-pay instructions naming it. Clearing batches are few, so they are found through the
 * project's batches rather than an index on instructions.payroll_line_id.
 */
const keysCte = sql`clr AS (
    SELECT i.end_to_end_id AS e2e, i.payroll_line_id AS line_id, i.project_id, CASE b.kind WHEN 'deposit_draw' THEN 'deposit' WHEN 'card_fix' THEN 'employer' ELSE 'gc' END AS payer
    FROM batches b JOIN instructions i ON i.batch_id = b.id AND i.project_id = b.project_id
    WHERE b.project_id IN (SELECT project_id FROM pm) AND b.kind <> 'payroll' AND i.payroll_line_id IS NOT NULL),
  keys AS (
    SELECT l.id AS line_id, l.end_to_end_id AS e2e, 'employer'::text AS payer, l.project_id, l.month, l.worker_id, l.reg_card FROM l
    UNION ALL
    SELECT c.line_id, c.e2e, c.payer, l.project_id, l.month, l.worker_id, l.reg_card FROM clr c JOIN l ON l.id = c.line_id AND l.project_id = c.project_id)`;

/**
 * Claim statement rows without EndToEndId for lines that have no settled result of their own:
 * same registered card, same amount, value date within the window around the pay date. A record
 * and a line are paired only when each is the other's first choice, so a claim is one-to-one and
 * the same on every run; claims persist (recon_inferred_matches) and are never taken twice.
 */
export function claimInferredSql(pms: ChunkPm[]): SQL {
  return sql`WITH ${pmCte(pms)}, ${linesCte(pms)}, ${keysCte},
  open_lines AS (
    SELECT l.* FROM l
    WHERE l.reg_card IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM recon_inferred_matches m WHERE m.line_id = l.id AND m.project_id = l.project_id)
      AND NOT EXISTS (SELECT 1 FROM keys k JOIN bank_records r ON r.end_to_end_id = k.e2e
                      WHERE k.line_id = l.id AND k.project_id = l.project_id AND r.kind = 'result' AND r.status IN ('ACSC', 'ACCC'))),
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

/** Serialise work on the same project-months (a batch job and a month job may overlap). */
export function lockSql(pms: ChunkPm[]): SQL {
  return sql`SELECT count(pg_advisory_xact_lock(k)) FROM (
    SELECT DISTINCT hashtextextended('recon:' || p || ':' || m, 0) AS k
    FROM unnest(${arr(pms.map((p) => p.projectId))}::text[], ${arr(pms.map((p) => p.month))}::text[]) AS t(p, m) ORDER BY 1) s`;
}

/**
 * Results and returns that match no line become orphans, once each (the event id derives from the
 * record). Scope: the given banks, records of the given projects or of no known project, value date
 * on or after `fromDate`. Two statements: this read-only one finds the candidates (Postgres may run
 * its hash anti-joins over whole tables in parallel; a data-modifying statement never runs in
 * parallel), then `orphansInsertSql` stores the few it found.
 */
export function orphanCandidatesSql(bankIds: string[], projectIds: string[], fromDate: string): SQL {
  return sql`SELECT r.id FROM bank_records r
    WHERE r.kind IN ('result', 'return') AND r.bank_id = ANY(${arr(bankIds)}::uuid[])
      AND (r.project_id IS NULL OR r.project_id = ANY(${arr(projectIds)}::uuid[]))
      AND r.value_date >= ${fromDate}::date
      AND NOT EXISTS (SELECT 1 FROM recon_orphans o WHERE o.bank_record_id = r.id)
      -- plain anti-joins (a NULL EndToEndId equals nothing, so those two pass for statement rows);
      -- instructions first: narrow, and they carry nearly every line's EndToEndId
      AND NOT EXISTS (SELECT 1 FROM recon_inferred_matches m WHERE m.bank_record_id = r.id)
      AND NOT EXISTS (SELECT 1 FROM instructions i WHERE i.end_to_end_id = r.end_to_end_id)
      AND NOT EXISTS (SELECT 1 FROM payroll_lines pl WHERE pl.end_to_end_id = r.end_to_end_id)`;
}

/** Store the candidate orphans (ids from orphanCandidatesSql, same transaction) and their events. */
export function orphansInsertSql(ids: string[], asOf: string): SQL {
  return sql`WITH ins AS (
    INSERT INTO recon_orphans (bank_record_id, bank_id, project_id, end_to_end_id, kind, status, reason_code, amount_fen, value_date, detected_as_of)
    SELECT id, bank_id, project_id, end_to_end_id, kind, status, reason_code, amount_fen, value_date, ${asOf}::date
    FROM bank_records WHERE id = ANY(${arr(ids)}::uuid[])
    ON CONFLICT DO NOTHING
    RETURNING *),
  ev AS (
    INSERT INTO outbox (id, type, project_id, company_id, county_code, payload)
    SELECT md5('bank_record.orphan:' || ins.bank_record_id)::uuid, 'bank_record.orphan', ins.project_id, p.general_contractor_id, p.county_code,
      jsonb_build_object('bankRecordId', ins.bank_record_id, 'bankId', ins.bank_id, 'endToEndId', ins.end_to_end_id, 'kind', ins.kind,
        'status', ins.status, 'reasonCode', ins.reason_code, 'amountFen', ins.amount_fen, 'valueDate', ins.value_date, 'asOf', ${asOf}::text)
    FROM ins LEFT JOIN projects p ON p.id = ins.project_id
    RETURNING 1 /* an id emitted before is skipped by the outbox's key trigger (0081) */)
  SELECT (SELECT count(*) FROM ins)::int AS orphans, (SELECT count(*) FROM ev)::int AS events`;
}
