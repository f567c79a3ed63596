import { countiesOfCity, isKnownCounty } from '../../lib/divisions.js';
import { sql } from 'drizzle-orm';
import type { Deps } from '../../deps.js';
import { randomToken, sha256Hex } from '../../lib/crypto.js';
import { NotFoundError, UnprocessableError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { appendAudit } from '../audit/audit.service.js';
import type { Principal, Role } from './auth.types.js';

export interface CreateKeyInput {
  role: Role;
  companyId?: string;
  bankId?: string;
  countyCodes?: string[];
  industries?: string[];
  label: string;
}

export async function createApiKey(deps: Pick<Deps, 'db'>, actor: Principal, input: CreateKeyInput) {
  const { db } = deps;
  if (input.role === 'contractor' && !input.companyId) throw new UnprocessableError('A contractor key needs companyId', [{ path: 'body.companyId', message: 'required for role contractor' }]);
  if (input.role === 'bank' && !input.bankId) throw new UnprocessableError('A bank key needs bankId', [{ path: 'body.bankId', message: 'required for role bank' }]);
  if (input.role === 'inspector' && !input.countyCodes?.length) throw new UnprocessableError('An inspector key needs countyCodes', [{ path: 'body.countyCodes', message: 'required for role inspector' }]);
  const badCounty = (input.countyCodes ?? []).map((c, i) => ({ c, i })).filter(({ c }) => (c.length === 4 ? countiesOfCity(c).length === 0 : !isKnownCounty(c)));
  if (badCounty.length) throw new UnprocessableError('Unknown division code', badCounty.map(({ i, c }) => ({ path: `body.countyCodes[${i}]`, message: `${c} is not a county or city of the national division list (GB/T 2260)` })));
  if (input.role === 'regulator' && !input.industries?.length) throw new UnprocessableError('A regulator key needs industries', [{ path: 'body.industries', message: 'required for role regulator' }]);
  const id = newId();
  const key = `wg_${input.role.slice(0, 4)}_${randomToken(24)}`;
  return db.transaction(async (tx) => {
    if (input.companyId) {
      const c = (await tx.execute(sql`SELECT 1 FROM companies WHERE id = ${input.companyId}`)) as unknown as { rows: unknown[] };
      if (!c.rows.length) throw new UnprocessableError('Unknown company', [{ path: 'body.companyId', message: 'no such company' }]);
    }
    if (input.bankId) {
      const b = (await tx.execute(sql`SELECT 1 FROM banks WHERE id = ${input.bankId}`)) as unknown as { rows: unknown[] };
      if (!b.rows.length) throw new UnprocessableError('Unknown bank', [{ path: 'body.bankId', message: 'no such bank' }]);
    }
    await tx.execute(sql`
      INSERT INTO api_keys (id, key_hash, prefix, role, company_id, bank_id, county_codes, industries, label)
      VALUES (${id}, ${sha256Hex(key)}, ${key.slice(0, 10)}, ${input.role},
        ${input.role === 'contractor' ? input.companyId ?? null : null}, ${input.role === 'bank' ? input.bankId ?? null : null},
        ${sql.param(input.countyCodes ?? [])}::text[], ${sql.param(input.industries ?? [])}::text[], ${input.label})`);
    await appendAudit(tx, { actor: actor.id, action: 'api_key.create', entityType: 'api_key', entityId: id, data: { role: input.role, label: input.label } });
    return { id, key, role: input.role, label: input.label };
  });
}

export async function revokeApiKey(deps: Pick<Deps, 'db'>, actor: Principal, id: string) {
  return deps.db.transaction(async (tx) => {
    const r = (await tx.execute(sql`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = ${id} RETURNING id`)) as unknown as { rows: unknown[] };
    if (!r.rows.length) throw new NotFoundError('API key');
    // Its alert subscriptions stop with it (delivery also re-checks the key; this makes the state visible).
    const paused = (await tx.execute(sql`UPDATE alert_subscriptions SET status = 'paused', status_reason = 'owner key revoked', updated_at = now()
      WHERE owner_key_id = ${id} AND status = 'active'`)) as unknown as { rowCount: number };
    await appendAudit(tx, { actor: actor.id, action: 'api_key.revoke', entityType: 'api_key', entityId: id, data: { subscriptionsPaused: paused.rowCount ?? 0 } });
    return { id, revoked: true };
  });
}
