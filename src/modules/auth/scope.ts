import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { ForbiddenError, NotFoundError } from '../../lib/errors.js';
import type { Principal } from './auth.types.js';

/** How the caller relates to a project. `none` callers get a 404 (existence is not revealed). */
export type Relation = 'admin' | 'gc' | 'construction_unit' | 'subcontractor' | 'inspector' | 'regulator' | 'bank';

export interface ProjectScope {
  projectId: string;
  countyCode: string;
  industry: string;
  generalContractorId: string;
  constructionUnitId: string;
  wageBankId: string;
  relations: Relation[];
}

/** Load a project and the caller's relations to it; 404 when the caller has none. */
export async function projectScope(db: DbOrTx, p: Principal, projectId: string): Promise<ProjectScope> {
  const r = (await db.execute(sql`
    SELECT p.id, p.county_code, p.industry, p.general_contractor_id, p.construction_unit_id, p.wage_bank_id, p.deposit_bank_id,
      EXISTS (SELECT 1 FROM subcontracts s WHERE s.project_id = p.id AND s.subcontractor_id = ${p.companyId}) AS is_sub
    FROM projects p WHERE p.id = ${projectId}`)) as unknown as {
    rows: { id: string; county_code: string; industry: string; general_contractor_id: string; construction_unit_id: string; wage_bank_id: string; deposit_bank_id: string | null; is_sub: boolean }[];
  };
  const row = r.rows[0];
  if (!row) throw new NotFoundError('Project');
  const rel: Relation[] = [];
  if (p.role === 'admin') rel.push('admin');
  if (p.role === 'contractor' && p.companyId) {
    if (p.companyId === row.general_contractor_id) rel.push('gc');
    if (p.companyId === row.construction_unit_id) rel.push('construction_unit');
    if (row.is_sub) rel.push('subcontractor');
  }
  if (p.role === 'inspector' && p.countyCodes.includes(row.county_code)) rel.push('inspector');
  if (p.role === 'regulator' && p.industries.includes(row.industry)) rel.push('regulator');
  if (p.role === 'bank' && p.bankId && (p.bankId === row.wage_bank_id || p.bankId === row.deposit_bank_id)) rel.push('bank');
  if (rel.length === 0) throw new NotFoundError('Project');
  return {
    projectId: row.id, countyCode: row.county_code, industry: row.industry, generalContractorId: row.general_contractor_id,
    constructionUnitId: row.construction_unit_id, wageBankId: row.wage_bank_id, relations: rel,
  };
}

/** After `projectScope`: 403 unless one of the caller's relations may perform the action. */
export function requireRelation(s: ProjectScope, ...allowed: Relation[]): Relation {
  const hit = s.relations.find((r) => allowed.includes(r));
  if (!hit) throw new ForbiddenError('Your relation to this project does not allow this action');
  return hit;
}

/** SQL predicate for list endpoints: the projects a principal may see (alias `p` = projects). */
export function visibleProjectsSql(p: Principal) {
  switch (p.role) {
    case 'admin':
      return sql`TRUE`;
    case 'inspector':
      return sql`p.county_code = ANY(${`{${p.countyCodes.join(',')}}`}::text[])`;
    case 'regulator':
      return sql`p.industry = ANY(${`{${p.industries.join(',')}}`}::text[])`;
    case 'bank':
      return sql`(p.wage_bank_id = ${p.bankId} OR p.deposit_bank_id = ${p.bankId})`;
    case 'contractor':
      return sql`(p.general_contractor_id = ${p.companyId} OR p.construction_unit_id = ${p.companyId}
        OR EXISTS (SELECT 1 FROM subcontracts s WHERE s.project_id = p.id AND s.subcontractor_id = ${p.companyId}))`;    case 'worker':
      // A worker sees the projects they are (or were) engaged on, nothing else.
      return sql`EXISTS (SELECT 1 FROM engagements e WHERE e.project_id = p.id AND e.worker_id = ${p.workerId ?? null})`;
  }
}

/**
 * Whose per-worker pay the caller may read on a project: everyone's (GC, inspector, admin, regulator: null) or
 * only its own as employer (a subcontractor; the construction unit and the bank employ nobody, so nobody's).
 * getPayroll's rule, shared by the reconciliation read routes.
 */
export function payEmployerFilter(s: ProjectScope, p: Principal): { all: true } | { all: false; employerId: string | null } {
  if (s.relations.some((r) => r === 'gc' || r === 'inspector' || r === 'admin' || r === 'regulator')) return { all: true };
  return { all: false, employerId: p.role === 'contractor' ? (p.companyId ?? null) : null };
}
