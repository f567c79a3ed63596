/** Banks (with webhook secrets), companies and subcontracts. Projects: project.service.ts. */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { newWebhookSecret, type PiiCipher } from '../../lib/crypto.js';
import { ConflictError, ForbiddenError, NotFoundError, UnprocessableError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { maskPhone, validateCreditCode } from '../../lib/identifiers.js';
import { appendAudit } from '../audit/audit.service.js';
import type { Principal } from '../auth/auth.types.js';
import { getPolicy } from '../policy/policy.service.js';

type Rows<T> = { rows: T[] };
const isUniqueViolation = (e: unknown) => (e as { code?: string; cause?: { code?: string } }).code === '23505' || (e as { cause?: { code?: string } }).cause?.code === '23505';

export async function createBank(tx: DbOrTx, pii: PiiCipher, actor: Principal, input: { name: string; code: string }) {
  const id = newId();
  const secret = newWebhookSecret();
  const dup = (await tx.execute(sql`SELECT 1 FROM banks WHERE code = ${input.code}`)) as unknown as Rows<unknown>;
  if (dup.rows.length) throw new ConflictError(`A bank with code ${input.code} exists`, 'bank_code_taken', [{ path: 'body.code', message: 'already registered' }]);
  await tx.execute(sql`INSERT INTO banks (id, name, code) VALUES (${id}, ${input.name}, ${input.code})`);
  await tx.execute(sql`INSERT INTO bank_secrets (id, bank_id, secret_enc) VALUES (${newId()}, ${id}, ${pii.encrypt(secret)})`);
  await appendAudit(tx, { actor: actor.id, action: 'bank.created', entityType: 'bank', entityId: id, data: { code: input.code } });
  return { id, name: input.name, code: input.code, webhookSecret: secret };
}

/**
 * New current secret; the previous current one stays valid for the overlap so the bank can switch
 * without dropped webhooks. Secrets already expiring keep their own expiry (never extended).
 */
export async function rotateBankSecret(tx: DbOrTx, pii: PiiCipher, actor: Principal, bankId: string, now: Date, overlapHours?: number) {
  const bank = (await tx.execute(sql`SELECT id FROM banks WHERE id = ${bankId} FOR UPDATE`)) as unknown as Rows<{ id: string }>;
  if (!bank.rows.length) throw new NotFoundError('Bank');
  const policy = (await getPolicy(tx)) as unknown as { banks?: { secretOverlapHours?: number } };
  const hours = overlapHours ?? policy.banks?.secretOverlapHours ?? 24;
  const until = new Date(now.getTime() + hours * 3600_000);
  await tx.execute(sql`UPDATE bank_secrets SET expires_at = ${until.toISOString()} WHERE bank_id = ${bankId} AND expires_at IS NULL`);
  const secret = newWebhookSecret();
  await tx.execute(sql`INSERT INTO bank_secrets (id, bank_id, secret_enc, created_at) VALUES (${newId()}, ${bankId}, ${pii.encrypt(secret)}, ${now.toISOString()})`);
  await appendAudit(tx, { actor: actor.id, action: 'bank.secret_rotated', entityType: 'bank', entityId: bankId, data: { overlapHours: hours } });
  return { id: bankId, webhookSecret: secret, previousValidUntil: until.toISOString() };
}

/** Live webhook secrets of a bank by its code, current first; null when the code is unknown. */
export async function getBankWebhookSecrets(db: DbOrTx, pii: PiiCipher, bankCode: string, now: Date): Promise<{ bankId: string; secrets: string[] } | null> {
  const r = (await db.execute(sql`
    SELECT b.id AS bank_id, s.secret_enc FROM banks b
    LEFT JOIN bank_secrets s ON s.bank_id = b.id AND (s.expires_at IS NULL OR s.expires_at > ${now.toISOString()})
    WHERE b.code = ${bankCode}
    ORDER BY (s.expires_at IS NULL) DESC, s.created_at DESC`)) as unknown as Rows<{ bank_id: string; secret_enc: string | null }>;
  if (!r.rows.length) return null;
  return { bankId: r.rows[0]!.bank_id, secrets: r.rows.filter((x) => x.secret_enc).map((x) => pii.decrypt(x.secret_enc!)) };
}

export interface CompanyInput { name: string; creditCode: string; legalRepresentative: string; contactPhone?: string }

export async function createCompany(tx: DbOrTx, pii: PiiCipher, actor: Principal, input: CompanyInput) {
  const v = validateCreditCode(input.creditCode);
  if (!v.ok) {
    throw new UnprocessableError('Invalid unified social credit code', [
      { path: 'body.creditCode', message: v.reason === 'checksum' ? 'check character does not match (GB 32100)' : 'must be 18 characters of the GB 32100 alphabet' },
    ], 'invalid_credit_code');
  }
  const id = newId();
  const masked = input.contactPhone ? maskPhone(input.contactPhone) : null;
  try {
    await tx.execute(sql`
      INSERT INTO companies (id, name, credit_code, legal_representative, contact_phone_enc, contact_phone_masked)
      VALUES (${id}, ${input.name}, ${v.normalized}, ${input.legalRepresentative}, ${input.contactPhone ? pii.encrypt(input.contactPhone) : null}, ${masked})`);
  } catch (e) {
    if (isUniqueViolation(e)) throw new ConflictError('A company with this credit code exists', 'credit_code_taken', [{ path: 'body.creditCode', message: 'already registered' }]);
    throw e;
  }
  await appendAudit(tx, { actor: actor.id, action: 'company.created', entityType: 'company', entityId: id, data: { creditCode: v.normalized } });
  return { id, name: input.name, creditCode: v.normalized, legalRepresentative: input.legalRepresentative, contactPhoneMasked: masked };
}

export interface SubcontractInput {
  subcontractorId: string;
  contractPriceFen: number;
  parentCompanyId?: string;
  laborManager?: { name: string; phone: string };
}

/** Parties of a project: the GC and every subcontractor in its tree. */
export async function projectParties(db: DbOrTx, projectId: string): Promise<Set<string>> {
  const r = (await db.execute(sql`
    SELECT general_contractor_id AS c FROM projects WHERE id = ${projectId}
    UNION SELECT subcontractor_id FROM subcontracts WHERE project_id = ${projectId}`)) as unknown as Rows<{ c: string }>;
  return new Set(r.rows.map((x) => x.c));
}

export async function createSubcontract(tx: DbOrTx, pii: PiiCipher, actor: Principal, projectId: string, gcId: string, input: SubcontractInput) {
  const parent = input.parentCompanyId ?? gcId;
  const parties = await projectParties(tx, projectId);
  const errors = [];
  if (!parties.has(parent)) errors.push({ path: 'body.parentCompanyId', message: 'must be the GC or a subcontractor of this project' });
  if (input.subcontractorId === gcId) errors.push({ path: 'body.subcontractorId', message: 'the GC cannot subcontract to itself' });
  const sub = (await tx.execute(sql`SELECT 1 FROM companies WHERE id = ${input.subcontractorId}`)) as unknown as Rows<unknown>;
  if (!sub.rows.length) errors.push({ path: 'body.subcontractorId', message: 'unknown company' });
  if (errors.length) throw new UnprocessableError('Invalid subcontract', errors);
  if (parties.has(input.subcontractorId)) throw new ConflictError('This company already holds a subcontract on the project', 'subcontract_exists', [{ path: 'body.subcontractorId', message: 'already a party' }]);
  const id = newId();
  await tx.execute(sql`
    INSERT INTO subcontracts (id, project_id, parent_company_id, subcontractor_id, contract_price_fen, labor_manager_name, labor_manager_phone_enc, labor_manager_phone_masked)
    VALUES (${id}, ${projectId}, ${parent}, ${input.subcontractorId}, ${input.contractPriceFen}, ${input.laborManager?.name ?? null},
      ${input.laborManager ? pii.encrypt(input.laborManager.phone) : null}, ${input.laborManager ? maskPhone(input.laborManager.phone) : null})`);
  await appendAudit(tx, { actor: actor.id, action: 'subcontract.created', entityType: 'subcontract', entityId: id, projectId, data: { parent, subcontractorId: input.subcontractorId } });
  return { id, projectId, parentCompanyId: parent, subcontractorId: input.subcontractorId, contractPriceFen: input.contractPriceFen };
}

export function assertActsAsGc(actor: Principal, generalContractorId: string) {
  if (actor.role === 'contractor' && actor.companyId !== generalContractorId) throw new ForbiddenError('A contractor may only register projects as their general contractor');
}
