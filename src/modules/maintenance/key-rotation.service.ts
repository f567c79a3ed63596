import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import type { PiiCipher } from '../../lib/crypto.js';

/**
 * Background re-encryption after a data-key rotation. Every ciphertext column is named `*_enc` (a house rule), so
 * the columns are found in the catalog: a table another module adds later is covered without a list to keep.
 * Rows are taken a batch at a time with SKIP LOCKED and rewritten only if unchanged meanwhile, so the job runs
 * beside normal traffic and a crash loses nothing (the next run picks up what is left). Blind indexes are not
 * touched: they are keyed separately and do not change with the data key.
 */
export interface RotationResult { rewritten: number; remaining: number; columns: { table: string; column: string; rewritten: number }[] }

const IDENT = /^[a-z_][a-z0-9_]*$/;

export async function encryptedColumns(db: Db): Promise<{ table: string; column: string }[]> {
  const r = (await db.execute(sql`
    SELECT c.table_name AS table, c.column_name AS column FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
    WHERE c.table_schema = current_schema() AND c.column_name LIKE '%\\_enc' AND c.data_type = 'text'
    ORDER BY 1, 2`)) as unknown as { rows: { table: string; column: string }[] };
  return r.rows.filter((x) => IDENT.test(x.table) && IDENT.test(x.column));
}

export async function rotateDataKeys(deps: { db: Db; pii: PiiCipher }, opts: { batch?: number; maxRows?: number } = {}): Promise<RotationResult> {
  const batch = opts.batch ?? 500;
  const maxRows = opts.maxRows ?? 100_000;
  const prefix = `${deps.pii.currentPrefix}%`;
  const out: RotationResult = { rewritten: 0, remaining: 0, columns: [] };
  for (const { table, column } of await encryptedColumns(deps.db)) {
    const t = sql.identifier(table);
    const c = sql.identifier(column);
    let done = 0;
    while (out.rewritten < maxRows) {
      const n = await deps.db.transaction(async (tx) => {
        const rows = ((await tx.execute(sql`
          SELECT ctid::text AS id, ${c} AS v FROM ${t} WHERE ${c} IS NOT NULL AND ${c} NOT LIKE ${prefix}
          LIMIT ${batch} FOR UPDATE SKIP LOCKED`)) as unknown as { rows: { id: string; v: string }[] }).rows;
        if (!rows.length) return 0;
        const next = JSON.stringify(rows.map((r) => ({ id: r.id, o: r.v, n: deps.pii.reencrypt(r.v) })));
        await tx.execute(sql`
          UPDATE ${t} SET ${c} = x.n FROM json_to_recordset(${next}::json) AS x(id text, o text, n text)
          WHERE ${t}.ctid = x.id::tid AND ${t}.${c} = x.o`);
        return rows.length;
      });
      done += n;
      out.rewritten += n;
      if (n < batch) break;
    }
    if (done) out.columns.push({ table, column, rewritten: done });
    const left = (await deps.db.execute(sql`SELECT count(*)::int AS n FROM ${t} WHERE ${c} IS NOT NULL AND ${c} NOT LIKE ${prefix}`)) as unknown as { rows: { n: number }[] };
    out.remaining += left.rows[0]!.n;
  }
  return out;
}
