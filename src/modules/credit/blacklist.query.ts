/** Read side of the blacklist: entry detail, a company's proposals, the published list and its export. */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { dateUuidCursor, encodeCursor, readCursor } from '../platform/common.schemas.js';
import { loadEntry } from './blacklist.service.js';
import { removalRequests } from './removal.service.js';

type Rows<T> = { rows: T[] };
const rows = async <T>(db: DbOrTx, q: ReturnType<typeof sql>): Promise<T[]> => ((await db.execute(q)) as unknown as Rows<T>).rows;

export async function entryDetail(db: DbOrTx, id: string) {
  const e = await loadEntry(db, id);
  const objection = (await rows<Record<string, unknown>>(db, sql`
    SELECT id, filed_on::text AS "filedOn", statement, evidence, decision, decided_on::text AS "decidedOn", decision_reason AS "decisionReason"
    FROM blacklist_objections WHERE entry_id = ${id}`))[0] ?? null;
  return {
    id: e.id, companyId: e.company_id, companyName: e.company_name, creditCode: e.credit_code, legalRepresentative: e.legal_representative,
    responsiblePersons: e.responsible_persons ?? [], status: e.status, reason: e.reason, reasonDetail: e.reason_detail, basis: e.basis, caseIds: e.case_ids, countyCode: e.county_code,
    proposedOn: e.proposed_on, proposedBy: e.proposed_by, objectionDeadline: e.objection_deadline, listedOn: e.listed_on, expiresOn: e.expires_on,
    endedOn: e.ended_on, endReason: e.end_reason, objection, removalRequests: (await removalRequests(db, id)).map(({ entryId: _e, ...r }) => r),
  };
}

/** Every entry of a company (the company's own view of what was proposed against it). */
export async function companyProposals(db: DbOrTx, companyId: string, countyCodes: string[] | null) {
  const scope = countyCodes ? sql`AND county_code = ANY(${`{${countyCodes.join(',')}}`}::text[])` : sql``;
  const ids = await rows<{ id: string }>(db, sql`
    SELECT id FROM blacklist_entries WHERE company_id = ${companyId} ${scope} ORDER BY proposed_on DESC, created_at DESC LIMIT 100`);
  const out = [];
  for (const { id } of ids) out.push(await entryDetail(db, id));
  return out;
}

export interface PublishedEntry {
  id: string; companyId: string; companyName: string; creditCode: string; legalRepresentative: string;
  responsiblePersons: { name: string; role: string }[]; reason: string; reasonDetail: string; listedOn: string; expiresOn: string;
}

const PUBLISHED = sql`SELECT id, company_id AS "companyId", company_name AS "companyName", credit_code AS "creditCode",
  legal_representative AS "legalRepresentative", responsible_persons AS "responsiblePersons", reason, reason_detail AS "reasonDetail", listed_on::text AS "listedOn", expires_on::text AS "expiresOn"
  FROM blacklist_entries`;
const CURRENT = (asOf: string) => sql`status = 'listed' AND listed_on <= ${asOf}::date AND expires_on > ${asOf}::date`;

/** Current listings as of `asOf`, oldest listing first, keyset-paginated on (listed_on, id). */
export async function currentListings(db: DbOrTx, asOf: string, limit: number, cursor?: string) {
  const after = readCursor(cursor, dateUuidCursor);
  const page = await rows<PublishedEntry>(db, sql`${PUBLISHED} WHERE ${CURRENT(asOf)}
    ${after ? sql`AND (listed_on, id) > (${after[0]}::date, ${after[1]}::uuid)` : sql``}
    ORDER BY listed_on, id LIMIT ${limit + 1}`);
  const more = page.length > limit;
  const items = more ? page.slice(0, limit) : page;
  const last = items[items.length - 1];
  return { items, nextCursor: more && last ? encodeCursor([last.listedOn, last.id]) : null };
}

export async function allCurrentListings(db: DbOrTx, asOf: string): Promise<PublishedEntry[]> {
  return rows<PublishedEntry>(db, sql`${PUBLISHED} WHERE ${CURRENT(asOf)} ORDER BY listed_on, id`);
}

const CSV_COLUMNS: (keyof PublishedEntry)[] = ['companyId', 'companyName', 'creditCode', 'legalRepresentative', 'responsiblePersons', 'reason', 'reasonDetail', 'listedOn', 'expiresOn'];
const ROLE_ZH: Record<string, string> = { legal_representative: '法定代表人', principal_in_charge: '直接负责的主管人员', directly_responsible: '其他直接责任人员' };
/** 张三（法定代表人）；李四（其他直接责任人员） */
const personsCell = (ps: { name: string; role: string }[]): string => ps.map((p) => `${p.name}（${ROLE_ZH[p.role] ?? p.role}）`).join('；');

/** The list's official name (人社部令45号): used in Chinese texts and the export's file name. */
export const OFFICIAL_LIST_NAME = '拖欠农民工工资失信联合惩戒对象名单';

/** RFC 4180 CSV; cells that a spreadsheet would run as a formula are prefixed with a quote. */
export function toCsv(items: PublishedEntry[]): string {
  const cell = (v: string) => {
    const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [CSV_COLUMNS.join(',')];
  for (const it of items) lines.push(CSV_COLUMNS.map((c) => cell(c === 'responsiblePersons' ? personsCell(it.responsiblePersons ?? []) : String(it[c] ?? ''))).join(','));
  return '\uFEFF' + lines.join('\r\n') + '\r\n';
}
