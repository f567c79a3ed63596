/**
 * Two database roles (docs/operations.md, "Database roles"):
 *   owner   — owns the database and every object in it; runs migrations (DDL) and nothing else;
 *   runtime — what the platform connects as: reads and writes rows, never DDL, never TRUNCATE, never
 *             UPDATE/DELETE on the audit log or the ledger's entries, never `session_replication_role`
 *             (that parameter switches off every ordinary trigger, the audit and ledger guards included).
 * Roles are cluster-wide, so everything here is idempotent and safe to race from several processes.
 */
import pg from 'pg';

export const OWNER_ROLE = 'wageguard_owner';
export const RUNTIME_ROLE = 'wageguard_app';

/** Tables the runtime role may only append to (the triggers refuse changes too; this is the second wall). */
export const APPEND_ONLY_TABLES = ['audit_log', 'audit_checkpoints', 'audit_chain_meta', 'ledger_entries'] as const;

const ident = (name: string): string => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unusable role name "${name}"`);
  return `"${name}"`;
};

/** The user a connection URL logs in as (libpq's default is the OS user; we require it spelled out). */
export function userOf(url: string): string {
  const u = decodeURIComponent(new URL(url).username);
  if (!u) throw new Error('a database URL must name its user');
  return u;
}

export function withUser(url: string, user: string, password?: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = password ? encodeURIComponent(password) : '';
  return u.toString();
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = '/' + encodeURIComponent(database);
  return u.toString();
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export interface RoleSpec { name: string; password?: string }

/**
 * Creates the missing roles, connected as an administrator with CREATEROLE (development, tests).
 * Returns one line per role saying what happened. Concurrent creators: the loser's duplicate error
 * means "exists".
 */
export async function ensureRoles(adminUrl: string, roles: RoleSpec[]): Promise<string[]> {
  return withClient(adminUrl, async (c) => {
    const out: string[] = [];
    for (const r of roles) {
      const has = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [r.name]);
      if (has.rowCount) {
        out.push(`role ${r.name} exists`);
        continue;
      }
      const pw = r.password ? ` PASSWORD ${c.escapeLiteral(r.password)}` : '';
      try {
        await c.query(`CREATE ROLE ${ident(r.name)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS${pw}`);
        out.push(`created role ${r.name}`);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code !== '42710' && code !== '23505') throw e; // duplicate_object / unique_violation: a concurrent creator won
        out.push(`role ${r.name} exists`);
      }
    }
    return out;
  });
}

/**
 * Hands an existing database and everything in it to the owner role (a development database created
 * before the two roles existed belongs to whoever created it). Run as an administrator.
 */
export async function adoptDatabase(adminDbUrl: string, owner: string): Promise<number> {
  return withClient(adminDbUrl, async (c) => {
    const o = ident(owner);
    const objs = await c.query<{ stmt: string }>(
      `SELECT format('ALTER DATABASE %I OWNER TO %s', current_database(), $1::text) AS stmt
        WHERE (SELECT datdba FROM pg_database WHERE datname = current_database()) <> (SELECT oid FROM pg_roles WHERE rolname = $2)
      UNION ALL
      SELECT format('ALTER SCHEMA %I OWNER TO %s', nspname, $1::text) FROM pg_namespace
        WHERE nspname = 'drizzle' AND nspowner <> (SELECT oid FROM pg_roles WHERE rolname = $2)
      UNION ALL
      SELECT format('ALTER %s %s OWNER TO %s', CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
               c.oid::regclass, $1::text)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('public', 'drizzle') AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
          AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = $2)
          -- sequences owned by a column follow their table
          AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
      UNION ALL
      SELECT format('ALTER ROUTINE %s OWNER TO %s', p.oid::regprocedure, $1::text)
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND p.proowner <> (SELECT oid FROM pg_roles WHERE rolname = $2)
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
      UNION ALL
      SELECT format('ALTER TYPE %s OWNER TO %s', t.oid::regtype, $1::text)
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c') AND t.typrelid = 0
          AND t.typowner <> (SELECT oid FROM pg_roles WHERE rolname = $2)`,
      [o, owner],
    );
    for (const r of objs.rows) await c.query(r.stmt);
    return objs.rowCount ?? 0;
  });
}

/** Create the database owned by `owner` when missing (connected to the maintenance database as `adminUrl`'s user). */
export async function createOwnedDatabase(adminUrl: string, name: string, owner: string | null): Promise<boolean> {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`unusable database name "${name}"`);
  return withClient(withDatabase(adminUrl, 'postgres'), async (c) => {
    const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return false;
    try {
      await c.query(`CREATE DATABASE "${name}"${owner ? ` OWNER ${ident(owner)}` : ''}`);
      return true;
    } catch (e) {
      if ((e as { code?: string }).code !== '42P04') throw e; // created by a concurrent starter
      return false;
    }
  });
}

/**
 * What the runtime role may do, granted by the owner after every migration run (so tables added by
 * later migrations are covered; default privileges cover tables created outside that path).
 * Idempotent. Temporary tables stay allowed: the sweep and the import stage rows in session-local
 * temp tables, which are no DDL on the platform's schema.
 */
export async function grantRuntime(ownerClient: pg.ClientBase, runtime: string): Promise<void> {
  const r = ident(runtime);
  const { owner, db } = (await ownerClient.query<{ owner: string; db: string }>('SELECT current_user AS owner, current_database() AS db')).rows[0]!;
  const o = ident(owner);
  const appendOnly = APPEND_ONLY_TABLES.join(', ');
  await ownerClient.query(`
    REVOKE CREATE ON SCHEMA public FROM PUBLIC;
    REVOKE CREATE ON DATABASE "${db.replace(/"/g, '""')}" FROM PUBLIC;
    GRANT USAGE ON SCHEMA public TO ${r};
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${r};
    REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM ${r};
    REVOKE UPDATE, DELETE ON ${appendOnly} FROM ${r};
    DO $$ DECLARE p regclass; BEGIN
      -- The months of a partitioned append-only table (audit_log, 0083): "ALL TABLES" above includes them.
      FOR p IN SELECT i.inhrelid::regclass FROM pg_inherits i
        WHERE i.inhparent IN (SELECT to_regclass(t) FROM unnest('{${APPEND_ONLY_TABLES.join(',')}}'::text[]) t) LOOP
        EXECUTE format('REVOKE UPDATE, DELETE ON %s FROM %s', p, '${r}');
      END LOOP;
    END $$;
    GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${r};
    GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ${r};
    ALTER DEFAULT PRIVILEGES FOR ROLE ${o} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${r};
    ALTER DEFAULT PRIVILEGES FOR ROLE ${o} IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${r};`);
}
