/**
 * The set-based apply of one staged import batch (rows already COPYed into the TEMP table
 * `roster_import_stage`, see import.stage.ts).
 *
 * One statement does the writes: upsert people (data-modifying CTE), insert engagements from the
 * CTE's RETURNING (no second temp table, no ANALYZE, one plan), and return only the exceptions.
 * A second statement counts card holders once everything is written.
 *
 * Every constraint and trigger stays on (the runtime role may not set `session_replication_role`,
 * docs/security.md): the foreign keys of the engagements are checked per row by Postgres.
 */
import type pg from 'pg';

export const STAGE_COLS = 'ord, wid, name, id_enc, id_bidx, id_masked, birth, gender, phone_enc, phone_bidx, phone_masked, card_enc, card_bidx, card_masked, eng_id, card_id, employer, trade, team, signed, dispatched, entry';

export const CREATE_STAGE = `CREATE TEMP TABLE roster_import_stage (ord int NOT NULL, wid uuid NOT NULL, name text NOT NULL, id_enc text NOT NULL,
  id_bidx text NOT NULL, id_masked text NOT NULL, birth date NOT NULL, gender text NOT NULL, phone_enc text, phone_bidx text, phone_masked text,
  card_enc text NOT NULL, card_bidx text NOT NULL, card_masked text NOT NULL, eng_id uuid NOT NULL, card_id uuid NOT NULL, employer uuid NOT NULL,
  trade text NOT NULL, team text, signed bool NOT NULL, dispatched bool NOT NULL, entry date NOT NULL) ON COMMIT DROP`;

/**
 * Per row: workerId null = refused — `refusal` says why (name: the ID's registered holder has another
 * name, `existingWorkerId` names that person for the alert; active: already active on this project);
 * others > 0 = shared card (with its employer and masked card).
 */
export interface StageOutcome {
  ord: number; workerId: string | null; others: number; employerId?: string; cardMasked?: string;
  refusal?: 'name' | 'active'; existingWorkerId?: string; idMasked?: string;
}

/**
 * Applies the staged rows. A person already registered keeps their id and everything stored about
 * them (card custody, issue 17): this company's phone, team, trade and card go onto its own new
 * engagement, the card as that engagement's active card. A row naming a known ID under another
 * name (wg_norm_name), or a person already active on this project, is refused and nothing about
 * that person is touched. Returns, in stage order, every row's worker id (null = already active)
 * and how many OTHER people hold the same card after the batch; the stage is emptied.
 *
 * All statements go in ONE simple-query message (one round trip): this process is busy encrypting
 * the next batch, and every extra round trip left Postgres idle until the event loop came back
 * (20–80 ms each). Hence literals instead of parameters — only UUIDs, escaped by the driver.
 */
export async function applyStaged(client: pg.ClientBase, projectId: string, actorId: string, ords: number[], wids: string[]): Promise<StageOutcome[]> {
  const project = client.escapeLiteral(projectId) + '::uuid';
  const actor = client.escapeLiteral(actorId);
  // Engagements in two parts: a person this statement inserted (the id generated here came back)
  // cannot be engaged anywhere yet, so a plain insert; a person already registered goes through
  // ON CONFLICT … DO NOTHING (a concurrent registration on this project may have won the race),
  // which costs a speculative insertion per row. Exceptions returned: every row that is not a fresh
  // person — with the existing person's id when engaged, null when not (already active here).
  // Card sharing is counted after the writes so it sees them: every accepted person now holds their
  // card, so "others" = holders − 1.
  // Both reads are per-row index probes, never a scan of what earlier batches wrote: without fresh
  // statistics (nothing is analysed mid-import) the planner hash-joined the stage against ALL workers
  // and ALL paying cards once per batch, so every batch cost more than the one before. `OFFSET 0`
  // keeps each subquery as written (not flattened into a join the planner may hash): the previous
  // person (name check) is looked up only for the exceptions; a card's holders are counted only when
  // a probe finds a second card row with its blind index (`OFFSET 1`). No status in that probe:
  // `status IN ('active', 'legacy')` matches the partial index worker_cards_one_paying_uq, which the
  // planner then ANDed with the blind-index probe, reading every paying card once per row.
  const res = (await client.query(`
    WITH up AS (
        INSERT INTO workers AS w (id, name, id_number_enc, id_number_bidx, id_number_masked, birth_date, gender, phone_enc, phone_masked, bank_card_enc, bank_card_bidx, bank_card_masked)
        SELECT wid, name, id_enc, id_bidx, id_masked, birth, gender, phone_enc, phone_masked, card_enc, card_bidx, card_masked FROM roster_import_stage
        ON CONFLICT (id_number_bidx) DO UPDATE SET updated_at = w.updated_at
          WHERE wg_norm_name(w.name) = wg_norm_name(EXCLUDED.name)
            AND NOT EXISTS (SELECT 1 FROM engagements e WHERE e.project_id = ${project} AND e.worker_id = w.id AND e.exit_date IS NULL)
        RETURNING w.id, w.id_number_bidx),
      fresh AS (
        INSERT INTO engagements (id, project_id, worker_id, employer_id, trade, team, contract_signed, dispatched, entry_date, phone_enc, phone_bidx, phone_masked)
        SELECT s.eng_id, ${project}, u.id, s.employer, s.trade, s.team, s.signed, s.dispatched, s.entry, s.phone_enc, s.phone_bidx, s.phone_masked
        FROM roster_import_stage s JOIN up u ON u.id_number_bidx = s.id_bidx AND u.id = s.wid
        RETURNING id, worker_id),
      known AS (
        INSERT INTO engagements (id, project_id, worker_id, employer_id, trade, team, contract_signed, dispatched, entry_date, phone_enc, phone_bidx, phone_masked)
        SELECT s.eng_id, ${project}, u.id, s.employer, s.trade, s.team, s.signed, s.dispatched, s.entry, s.phone_enc, s.phone_bidx, s.phone_masked
        FROM roster_import_stage s JOIN up u ON u.id_number_bidx = s.id_bidx AND u.id <> s.wid
        ON CONFLICT (project_id, worker_id) WHERE exit_date IS NULL DO NOTHING
        RETURNING id, worker_id),
      cards AS (
        INSERT INTO worker_cards (id, engagement_id, worker_id, project_id, employer_id, card_enc, card_bidx, card_masked, status, origin, status_by)
        SELECT s.card_id, x.id, x.worker_id, ${project}, s.employer, s.card_enc, s.card_bidx, s.card_masked, 'active', 'registration', ${actor}
        FROM (SELECT id, worker_id FROM fresh UNION ALL SELECT id, worker_id FROM known) x JOIN roster_import_stage s ON s.eng_id = x.id)
      SELECT x.ord, x.worker_id, o.id AS existing, (o.id IS NOT NULL AND wg_norm_name(o.name) <> wg_norm_name(x.name)) AS name_mismatch, x.id_masked
      FROM (SELECT s.ord, k.worker_id, s.id_bidx, s.name, s.id_masked
            FROM roster_import_stage s LEFT JOIN up u ON u.id_number_bidx = s.id_bidx LEFT JOIN known k ON k.id = s.eng_id
            WHERE u.id IS DISTINCT FROM s.wid OFFSET 0) x
        LEFT JOIN LATERAL (SELECT id, name FROM workers o WHERE o.id_number_bidx = x.id_bidx OFFSET 0) o ON true;
    SELECT s.ord, c.holders - 1 AS others, s.employer, s.card_masked FROM roster_import_stage s
      CROSS JOIN LATERAL (SELECT count(DISTINCT o.worker_id) FILTER (WHERE o.status IN ('active', 'legacy'))::int AS holders
        FROM worker_cards o WHERE o.card_bidx = s.card_bidx) c
      WHERE EXISTS (SELECT 1 FROM worker_cards o WHERE o.card_bidx = s.card_bidx OFFSET 1) AND c.holders > 1;
    TRUNCATE roster_import_stage`)) as unknown as pg.QueryResult[];
  const results = res.filter((r) => r.command === 'SELECT' && r.fields.some((f) => f.name === 'ord'));
  const [ex, cards] = results as [pg.QueryResult<{ ord: number; worker_id: string | null; existing: string | null; name_mismatch: boolean; id_masked: string }>, pg.QueryResult<{ ord: number; others: number; employer: string; card_masked: string }>];
  // Only exceptions came back: refused rows (name mismatch, already active here), people already
  // registered (their existing id, not the one generated here), shared cards. Everything else: the generated id stands.
  const exOf = new Map(ex.rows.map((r) => [r.ord, r]));
  const cardOf = new Map(cards.rows.map((r) => [r.ord, r]));
  const out: StageOutcome[] = new Array(ords.length);
  for (let i = 0; i < ords.length; i++) {
    const ord = ords[i]!;
    const x = exOf.get(ord);
    if (x && x.worker_id === null) {
      out[i] = x.name_mismatch
        ? { ord, workerId: null, others: 0, refusal: 'name', existingWorkerId: x.existing!, idMasked: x.id_masked }
        : { ord, workerId: null, others: 0, refusal: 'active' };
      continue;
    }
    const workerId = x ? x.worker_id! : wids[i]!;
    const c = cardOf.get(ord);
    out[i] = c ? { ord, workerId, others: c.others, employerId: c.employer, cardMasked: c.card_masked } : { ord, workerId, others: 0 };
  }
  return out;
}
