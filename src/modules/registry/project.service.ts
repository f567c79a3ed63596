/** Project registration: validates the parties, computes the required deposit, emits project.created. */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import type { PiiCipher } from '../../lib/crypto.js';
import { ConflictError, UnprocessableError, type FieldError } from '../../lib/errors.js';
import { addWorkingDays } from '../../lib/calendar.js';
import { newId } from '../../lib/ids.js';
import { isCountyCode, maskPhone } from '../../lib/identifiers.js';
import { EVENTS } from '../../jobs/event-types.js';
import { emit } from '../alerts/outbox.service.js';
import { appendAudit } from '../audit/audit.service.js';
import type { Principal } from '../auth/auth.types.js';
import { getCalendar, getPolicy } from '../policy/policy.service.js';
import { depositHistory } from './deposit-history.js';
import { requiredDeposit } from './deposit-policy.rules.js';

type Rows<T> = { rows: T[] };

export interface ProjectInput {
  name: string;
  countyCode: string;
  industry: string;
  constructionUnitId: string;
  generalContractorId: string;
  contractPriceFen: number;
  startDate: string;
  plannedEndDate: string;
  payday: number;
  payMonth?: 'previous' | 'current';
  permitDate?: string;
  laborManager: { name: string; phone: string };
  wageAccount: { bankId: string; accountNumber: string };
  depositAccount?: { bankId: string; accountNumber: string };
}

export async function createProject(tx: DbOrTx, pii: PiiCipher, actor: Principal, input: ProjectInput, asOf: string) {
  const errors: FieldError[] = [];
  if (!isCountyCode(input.countyCode)) errors.push({ path: 'body.countyCode', message: 'not a county-level division code' });
  if (input.plannedEndDate < input.startDate) errors.push({ path: 'body.plannedEndDate', message: 'before startDate' });
  if (input.permitDate && input.permitDate > input.plannedEndDate) errors.push({ path: 'body.permitDate', message: 'after plannedEndDate' });
  if (input.constructionUnitId === input.generalContractorId) errors.push({ path: 'body.generalContractorId', message: 'must differ from the construction unit' });
  const ids = [input.constructionUnitId, input.generalContractorId];
  const known = (await tx.execute(sql`SELECT id FROM companies WHERE id = ANY(${`{${ids.join(',')}}`}::uuid[])`)) as unknown as Rows<{ id: string }>;
  const have = new Set(known.rows.map((r) => r.id));
  if (!have.has(input.constructionUnitId)) errors.push({ path: 'body.constructionUnitId', message: 'unknown company' });
  if (!have.has(input.generalContractorId)) errors.push({ path: 'body.generalContractorId', message: 'unknown company' });
  const banks = [input.wageAccount.bankId, input.depositAccount?.bankId].filter(Boolean) as string[];
  const kb = (await tx.execute(sql`SELECT id FROM banks WHERE id = ANY(${`{${banks.join(',')}}`}::uuid[])`)) as unknown as Rows<{ id: string }>;
  const haveB = new Set(kb.rows.map((r) => r.id));
  if (!haveB.has(input.wageAccount.bankId)) errors.push({ path: 'body.wageAccount.bankId', message: 'unknown bank' });
  if (input.depositAccount && !haveB.has(input.depositAccount.bankId)) errors.push({ path: 'body.depositAccount.bankId', message: 'unknown bank' });
  if (errors.length) throw new UnprocessableError('Invalid project', errors);

  // Serialise project creation per GC so two concurrent registrations see each other in the history.
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${'project-gc:' + input.generalContractorId}))`);
  const policy = await getPolicy(tx, input.countyCode);
  const history = await depositHistory(tx, input.generalContractorId, asOf, input.countyCode);
  const deposit = requiredDeposit(input.contractPriceFen, policy.deposit, history);
  // Due within dueWorkingDays working days of the construction permit (人社部发〔2021〕65号 Art. 6), else of the start.
  const depositDueOn = addWorkingDays(input.permitDate ?? input.startDate, policy.deposit.dueWorkingDays, await getCalendar(tx, input.countyCode));
  const breakdown = { ...deposit, asOf, dueOn: depositDueOn, dueFrom: input.permitDate ? 'permitDate' : 'startDate' };

  const id = newId();
  try {
    await tx.execute(sql`
      INSERT INTO projects (id, name, county_code, industry, construction_unit_id, general_contractor_id, contract_price_fen,
        start_date, planned_end_date, payday, labor_manager_name, labor_manager_phone_enc, labor_manager_phone_masked,
        wage_bank_id, wage_account_number, deposit_bank_id, deposit_account_number, deposit_required_fen, deposit_policy, pay_month, permit_date, deposit_due_on)
      VALUES (${id}, ${input.name}, ${input.countyCode}, ${input.industry}, ${input.constructionUnitId}, ${input.generalContractorId},
        ${input.contractPriceFen}, ${input.startDate}, ${input.plannedEndDate}, ${input.payday}, ${input.laborManager.name},
        ${pii.encrypt(input.laborManager.phone)}, ${maskPhone(input.laborManager.phone)}, ${input.wageAccount.bankId},
        ${input.wageAccount.accountNumber}, ${input.depositAccount?.bankId ?? null}, ${input.depositAccount?.accountNumber ?? null},
        ${deposit.requiredFen}, ${JSON.stringify(breakdown)}::jsonb, ${input.payMonth ?? 'previous'}, ${input.permitDate ?? null}, ${depositDueOn})`);
  } catch (e) {
    const code = (e as { code?: string; cause?: { code?: string } }).code ?? (e as { cause?: { code?: string } }).cause?.code;
    if (code === '23505') throw new ConflictError('This wage account is already used by another project', 'wage_account_taken', [{ path: 'body.wageAccount.accountNumber', message: 'already in use' }]);
    throw e;
  }
  await emit(tx, {
    type: EVENTS.projectCreated, projectId: id, companyId: input.generalContractorId, countyCode: input.countyCode,
    payload: { name: input.name, industry: input.industry, contractPriceFen: input.contractPriceFen, depositRequiredFen: deposit.requiredFen, payday: input.payday },
  });
  await appendAudit(tx, { actor: actor.id, action: 'project.created', entityType: 'project', entityId: id, projectId: id, data: { depositRequiredFen: deposit.requiredFen } });
  return getProject(tx, id);
}

export async function getProject(db: DbOrTx, id: string) {
  const r = (await db.execute(sql`
    SELECT id, name, county_code, industry, construction_unit_id, general_contractor_id, contract_price_fen::float8 AS contract_price_fen,
      start_date::text, planned_end_date::text, payday, wage_bank_id, wage_account_number, deposit_bank_id, deposit_account_number,
      deposit_required_fen::float8 AS deposit_required_fen, deposit_policy, status, pay_month, pay_month_earlier, permit_date::text, deposit_due_on::text
    FROM projects WHERE id = ${id}`)) as unknown as Rows<Record<string, unknown>>;
  const p = r.rows[0];
  if (!p) return null;
  return {
    id: p.id as string, name: p.name as string, countyCode: p.county_code as string, industry: p.industry as string,
    constructionUnitId: p.construction_unit_id as string, generalContractorId: p.general_contractor_id as string,
    contractPriceFen: Number(p.contract_price_fen), startDate: p.start_date as string, plannedEndDate: p.planned_end_date as string,
    payday: p.payday as number, payMonth: p.pay_month as string, payMonthEarlier: (p.pay_month_earlier as { until: string; payMonth: string }[] | null) ?? [], permitDate: (p.permit_date as string | null) ?? null, depositDueOn: (p.deposit_due_on as string | null) ?? null,
    wageAccount: { bankId: p.wage_bank_id as string, accountNumber: p.wage_account_number as string },
    depositAccount: p.deposit_bank_id ? { bankId: p.deposit_bank_id as string, accountNumber: p.deposit_account_number as string } : null,
    depositRequiredFen: Number(p.deposit_required_fen), depositPolicy: p.deposit_policy as Record<string, unknown>, status: p.status as string,
  };
}
