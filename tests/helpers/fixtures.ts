import { sql } from 'drizzle-orm';
import { newId } from '../../src/lib/ids.js';
import type { Role } from '../../src/modules/auth/auth.types.js';
import type { TestContext } from './context.js';

/** Mint an API key through the real endpoint; returns the Authorization header. */
export async function mintKey(
  ctx: TestContext,
  role: Role,
  scope: { companyId?: string; bankId?: string; countyCodes?: string[]; industries?: string[] } = {},
): Promise<{ authorization: string; id: string }> {
  const res = await ctx.app.inject({ method: 'POST', url: '/v1/api-keys', headers: ctx.admin, payload: { role, label: `test ${role}`, ...scope } });
  if (res.statusCode !== 201) throw new Error(`mintKey ${role}: ${res.statusCode} ${res.body}`);
  const b = res.json() as { id: string; key: string };
  return { authorization: `Bearer ${b.key}`, id: b.id };
}

/** Minimal rows for foundation tests that must not depend on the registry routes. */
export async function rawCompany(ctx: TestContext, name = 'Test Co'): Promise<string> {
  const id = newId();
  await ctx.deps.db.execute(sql`INSERT INTO companies (id, name, credit_code, legal_representative) VALUES (${id}, ${name}, ${'RAW' + id.slice(-15)}, 'Test Rep')`);
  return id;
}
export async function rawBank(ctx: TestContext, code = 'B' + newId().slice(-6)): Promise<string> {
  const id = newId();
  await ctx.deps.db.execute(sql`INSERT INTO banks (id, name, code) VALUES (${id}, ${'Bank ' + code}, ${code})`);
  return id;
}
