/**
 * Captures the query plan of every statement the platform sends to Postgres while a phase runs.
 *
 * `pg.Client.prototype.query` is wrapped for the whole process (the app's pool, drizzle's
 * transactions and the import's raw client all go through it). Before a statement runs, the wrapper
 * sends `EXPLAIN (VERBOSE, FORMAT JSON)` of the same text with the same parameter values on the same
 * connection, so the plan is the one Postgres would use at that moment: inside the caller's
 * transaction, with its temp tables and its planner settings. No SQL is copied into the test, so the
 * check cannot drift from the code.
 *
 * Inside a transaction each EXPLAIN runs under a savepoint: a statement that cannot be explained
 * (it names something an earlier part of the same message creates) is recorded as such and leaves the
 * caller's transaction untouched. A multi-statement text (simple protocol, no parameters) is split at
 * its top-level semicolons and each part explained.
 */
import pg from 'pg';

export interface CapturedPlan {
  phase: string;
  sql: string;
  /** The JSON plan (the `Plan` of EXPLAIN's single result), or null when EXPLAIN failed. */
  plan: PlanNode | null;
  error?: string;
  /** Temp tables of the session that have a project_id column (derived project rows). */
  tempProjectTables: string[];
}

export type PlanNode = Record<string, unknown> & { 'Node Type': string; Plans?: PlanNode[] };

type QueryFn = (...args: unknown[]) => unknown;

const EXPLAINABLE = /^\s*(?:\/\*[\s\S]*?\*\/\s*)*(?:select|with|insert|update|delete|create\s+(?:temp|temporary)\s+table\s+\w+(?:\s+on\s+commit\s+drop)?\s+as)\b/i;

/** Top-level statements of a text (outside quotes, identifiers and comments). */
export function splitStatements(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (q) {
      cur += ch;
      if (q === '--' && ch === '\n') q = null;
      else if (q === '/*' && ch === '/' && text[i - 1] === '*') q = null;
      else if ((q === "'" || q === '"') && ch === q) q = null;
      continue;
    }
    if (ch === "'" || ch === '"') q = ch;
    else if (ch === '-' && text[i + 1] === '-') q = '--';
    else if (ch === '/' && text[i + 1] === '*') q = '/*';
    if (ch === ';') {
      if (cur.trim()) out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur);
  return out;
}

const isSubmittable = (x: unknown) => typeof x === 'object' && x !== null && typeof (x as { submit?: unknown }).submit === 'function';

export class PlanCapture {
  readonly plans: CapturedPlan[] = [];
  private phase: string | null = null;
  private readonly orig: QueryFn;

  constructor() {
    this.orig = pg.Client.prototype.query as unknown as QueryFn;
    const self = this;
    (pg.Client.prototype as unknown as { query: QueryFn }).query = function (this: pg.Client, ...args: unknown[]) {
      const phase = self.phase;
      const [config, values] = args;
      const text = typeof config === 'string' ? config : (config as { text?: unknown } | null)?.text;
      if (!phase || isSubmittable(config) || typeof text !== 'string') return self.orig.apply(this, args);
      const vals = Array.isArray(values) ? values : (config as { values?: unknown[] }).values;
      const parts = vals?.length ? [text] : splitStatements(text);
      const todo = parts.filter((p) => EXPLAINABLE.test(p));
      if (!todo.length) return self.orig.apply(this, args);
      const explained = self.explainAll(this, phase, todo, vals);
      const cb = args.findIndex((a) => typeof a === 'function');
      if (cb >= 0) {
        explained.then(() => self.orig.apply(this, args), (e: unknown) => (args[cb] as (e: unknown) => void)(e));
        return undefined;
      }
      return explained.then(() => self.orig.apply(this, args));
    };
  }

  /** Statements sent from now on are captured under `phase` (null: stop capturing). */
  setPhase(phase: string | null): void {
    this.phase = phase;
  }

  restore(): void {
    (pg.Client.prototype as unknown as { query: QueryFn }).query = this.orig;
  }

  private async explainAll(client: pg.Client, phase: string, parts: string[], values: unknown[] | undefined): Promise<void> {
    const run = (text: string, vals?: unknown[]) => this.orig.call(client, { text, values: vals }) as Promise<pg.QueryResult>;
    const status = (client as unknown as { getTransactionStatus(): string | null }).getTransactionStatus();
    if (status === 'E') return; // an aborted transaction: the statement itself will fail
    const inTx = status === 'T';
    for (const part of parts) {
      const rec: CapturedPlan = { phase, sql: part.trim(), plan: null, tempProjectTables: [] };
      if (inTx) await run('SAVEPOINT wg_plan_capture');
      try {
        const r = await run(`EXPLAIN (VERBOSE, FORMAT JSON) ${part}`, values);
        rec.plan = (r.rows[0] as { 'QUERY PLAN': { Plan: PlanNode }[] })['QUERY PLAN'][0]!.Plan;
        rec.tempProjectTables = (await run(`SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'project_id'
          WHERE c.relpersistence = 't' AND c.relnamespace = pg_my_temp_schema()`)).rows.map((x: { relname: string }) => x.relname);
        if (inTx) await run('RELEASE SAVEPOINT wg_plan_capture');
      } catch (e) {
        rec.error = (e as Error).message;
        if (inTx) await run('ROLLBACK TO SAVEPOINT wg_plan_capture; RELEASE SAVEPOINT wg_plan_capture');
      }
      this.plans.push(rec);
    }
  }
}
