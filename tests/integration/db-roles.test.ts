import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { asOwner } from '../helpers/db.js';
import { appendAudit } from '../../src/modules/audit/audit.service.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
  await ctx.deps.db.transaction((tx) => appendAudit(tx, { actor: 'test', action: 'demo', entityType: 'demo', entityId: '1' }));
});
afterAll(() => ctx.close());

/** The Postgres error code a statement run as the platform's own role fails with. */
async function codeOf(text: string): Promise<string | undefined> {
  try {
    await ctx.deps.pool.query(text);
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
}

describe('the platform runs as the runtime role', () => {
  it('is neither superuser nor owner, and may not switch triggers off', async () => {
    const r = await ctx.deps.pool.query(`SELECT current_user AS u, r.rolsuper, r.rolcreaterole, r.rolcreatedb,
      has_parameter_privilege('session_replication_role', 'SET') AS srr,
      (SELECT tableowner FROM pg_tables WHERE tablename = 'audit_log') AS owner
      FROM pg_roles r WHERE r.rolname = current_user`);
    expect(r.rows[0]).toMatchObject({ u: 'wageguard_app', rolsuper: false, rolcreaterole: false, rolcreatedb: false, srr: false, owner: 'wageguard_owner' });
    expect(await codeOf(`SET session_replication_role = replica`)).toBe('42501');
  });
  it('may not run DDL or TRUNCATE', async () => {
    expect(await codeOf(`CREATE TABLE sneaky (id int)`)).toBe('42501');
    expect(await codeOf(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`)).toBe('42501');
    expect(await codeOf(`DROP TABLE outbox`)).toBe('42501');
    expect(await codeOf(`TRUNCATE outbox`)).toBe('42501');
    expect(await codeOf(`CREATE INDEX sneaky_idx ON outbox (id)`)).toBe('42501');
    expect(await codeOf(`CREATE FUNCTION sneaky() RETURNS int LANGUAGE sql AS 'SELECT 1'`)).toBe('42501');
  });
  it('may not UPDATE or DELETE the audit log or the ledger entries, even with the triggers off', async () => {
    // The privilege check comes before any trigger: these fail on permissions, not on the guard trigger.
    for (const t of ['audit_log', 'ledger_entries']) {
      expect(await codeOf(`UPDATE ${t} SET id = id WHERE false`.replace('SET id = id', t === 'audit_log' ? 'SET actor = actor' : 'SET amount = amount'))).toBe('42501');
      expect(await codeOf(`DELETE FROM ${t} WHERE false`)).toBe('42501');
    }
    const n = await ctx.deps.db.execute(sql`SELECT count(*)::int AS n FROM audit_log`);
    expect((n as unknown as { rows: { n: number }[] }).rows[0]!.n).toBeGreaterThan(0);
  });
  it('still does its own work: rows, temporary tables, sequences', async () => {
    const r = await ctx.app.inject({ method: 'POST', url: '/v1/api-keys', headers: ctx.admin, payload: { role: 'inspector', countyCodes: ['220702'], label: 'roles' } });
    expect(r.statusCode).toBe(201);
    expect(await codeOf(`BEGIN; CREATE TEMP TABLE scratch (id int) ON COMMIT DROP; INSERT INTO scratch VALUES (1); COMMIT`)).toBeUndefined();
  });
  it('the owner keeps DDL (migrations), so the two roles differ in exactly that', async () => {
    const who = await asOwner(ctx.dbName, (c) => c.query(`SELECT current_user AS u, has_table_privilege('audit_log', 'UPDATE') AS upd`));
    expect(who.rows[0]).toMatchObject({ u: 'wageguard_owner', upd: true });
  });
});
