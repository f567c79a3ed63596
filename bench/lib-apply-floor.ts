/**
 * The floor of `bench:webhooks`' apply phase (issue 24, item 3): the same bank results applied set-based from
 * a staged table, doing the durable work every apply must do, in one transaction per 1,000 results:
 *   - claim each result's dedupe key in bank_record_keys (ON CONFLICT DO NOTHING, as the product does);
 *   - insert the bank records (with their project, card blind index and masked card) into the real,
 *     month-partitioned bank_records;
 *   - update the instructions' statuses.
 * The staging (a session-local temp table per connection) is loaded beforehand and not timed. `sessions`
 * connections run at once, like the worker's concurrency. It runs as the given role (the runtime role).
 * What the floor leaves out and the product does: ledger holds posted or voided, the inbox rows marked applied
 * (bodies masked), batch completion, contradiction checks and outbox events.
 */
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { newId } from '../src/lib/ids.js';

export interface FloorRow { e2e: string; status: string; reason: string | null; amount: number; vd: string; bidx: string; masked: string; key: string; sref: string }

const CHUNK = 1000;

export async function applyFloor(url: string, bankId: string, rows: FloorRow[], sessions: number): Promise<{ results: number; seconds: number; chunks: number; pgCpuMs: number }> {
  const clients = await Promise.all(Array.from({ length: sessions }, async () => {
    const c = new pg.Client({ connectionString: url, application_name: 'bench-apply-floor' });
    await c.connect();
    return c;
  }));
  try {
    const chunks = Array.from({ length: Math.ceil(rows.length / CHUNK) }, (_, k) => rows.slice(k * CHUNK, (k + 1) * CHUNK));
    // Chunk k is staged on (and later applied by) connection k mod sessions.
    await Promise.all(clients.map(async (c, s) => {
      await c.query(`CREATE TEMP TABLE apply_floor_stage (chunk int NOT NULL, id uuid NOT NULL, e2e text, status text, reason text, amount bigint, vd date,
        bidx text, masked text, key text, sref text)`);
      for (let k = s; k < chunks.length; k += sessions) {
        const ch = chunks[k]!;
        await c.query(`INSERT INTO apply_floor_stage SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::date[], $8::text[], $9::text[], $10::text[], $11::text[])`,
          [k, ch.map(() => newId()), ch.map((r) => r.e2e), ch.map((r) => r.status), ch.map((r) => r.reason), ch.map((r) => r.amount), ch.map((r) => r.vd),
            ch.map((r) => r.bidx), ch.map((r) => r.masked), ch.map((r) => r.key), ch.map((r) => r.sref)]);
      }
      await c.query('CREATE INDEX ON apply_floor_stage (chunk)');
      await c.query('ANALYZE apply_floor_stage');
    }));
    // The backends' CPU time (same machine: /proc; 0 where it cannot be read), to compare work, not waiting.
    const pids = await Promise.all(clients.map(async (c) => (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid));
    const cpu = async () => (await Promise.all(pids.map(async (pid) => {
      const v = (await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ')')).split(')').pop()!.trim().split(' ');
      return (Number(v[11] ?? 0) + Number(v[12] ?? 0)) * 10;
    }))).reduce((a, b) => a + b, 0);
    const cpu0 = await cpu();
    const t0 = performance.now();
    await Promise.all(clients.map(async (c, s) => {
      for (let k = s; k < chunks.length; k += sessions) {
        await c.query('BEGIN');
        await c.query(`
          WITH k AS (
            INSERT INTO bank_record_keys (bank_id, dedupe_key) SELECT $1, s.key FROM apply_floor_stage s WHERE s.chunk = $2
            ON CONFLICT DO NOTHING RETURNING dedupe_key
          )
          INSERT INTO bank_records (id, bank_id, project_id, kind, end_to_end_id, status, reason_code, amount_fen, value_date, card_bidx, card_masked, source, source_ref, dedupe_key)
          SELECT s.id, $1, i.project_id, 'result', s.e2e, s.status, s.reason, s.amount, s.vd, s.bidx, s.masked, 'webhook', s.sref, s.key
          FROM apply_floor_stage s JOIN k ON k.dedupe_key = s.key LEFT JOIN instructions i ON i.end_to_end_id = s.e2e
          WHERE s.chunk = $2`, [bankId, k]);
        await c.query(`
          UPDATE instructions i SET status = CASE WHEN s.status = 'RJCT' THEN 'rejected' ELSE 'settled' END, reason_code = COALESCE(s.reason, i.reason_code), updated_at = now()
          FROM apply_floor_stage s WHERE s.chunk = $1 AND i.end_to_end_id = s.e2e AND i.status = 'instructed'`, [k]);
        await c.query('COMMIT');
      }
    }));
    const seconds = (performance.now() - t0) / 1000;
    return { results: rows.length, seconds, chunks: chunks.length, pgCpuMs: (await cpu()) - cpu0 };
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}
