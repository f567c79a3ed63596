/**
 * The project's public rights-protection notice board (维权信息告示牌, 条例 Art. 34): every party
 * with its legal representative and labour-wage contact, the local minimum wage, the pay day and
 * the complaint, mediation, arbitration and legal-aid channels of the county. Contacts are shown in
 * full on purpose: the board exists so that workers can reach them.
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import type { PiiCipher } from '../../lib/crypto.js';
import { NotFoundError } from '../../lib/errors.js';
import { addMonths, chinaToday, monthOf } from '../../lib/calendar.js';
import { payMonthOf, type PayMonth, type PayMonthPeriod, type PayMonthSetting } from './pay-month.js';
import { minimumWageFor } from '../policy/minimum-wage.js';
import { getPolicy } from '../policy/policy.service.js';

type Rows<T> = { rows: T[] };
export type PartyRole = 'construction_unit' | 'general_contractor' | 'subcontractor';

export interface NoticeBoard {
  projectId: string;
  projectName: string;
  countyCode: string;
  payday: number;
  /** Which month's wages the pay day pays: previous (次月发上月) or current (当月). */
  payMonth: 'previous' | 'current';
  /** A change of the pay month that starts with a later wage month (announced ahead), or null. */
  payMonthChange: { fromMonth: string; payMonth: 'previous' | 'current' } | null;
  /** The industry's competent department (条例 Art. 34, 40), "name phone" from policy `regulators`. */
  regulator: { industry: string; contact: string };
  parties: {
    role: PartyRole; companyId: string; name: string; creditCode: string; legalRepresentative: string;
    parentCompanyId: string | null; laborContact: { name: string; phone: string | null } | null;
  }[];
  minimumWage: { monthlyFen: number; hourlyFen: number; effectiveFrom: string; source: string };
  channels: { complaintHotline: string; mediation: string; arbitration: string; legalAid: string };
}

export async function noticeBoard(db: DbOrTx, pii: PiiCipher, projectId: string, today = chinaToday(new Date())): Promise<NoticeBoard> {
  const pr = (await db.execute(sql`
    SELECT id, name, county_code, payday, pay_month, pay_month_earlier, industry, construction_unit_id, general_contractor_id, labor_manager_name, labor_manager_phone_enc
    FROM projects WHERE id = ${projectId}`)) as unknown as Rows<Record<string, string | number | null>>;
  const p = pr.rows[0];
  if (!p) throw new NotFoundError('Project');
  const parties = (await db.execute(sql`
    SELECT 'construction_unit' AS role, c.id, c.name, c.credit_code, c.legal_representative, NULL::uuid AS parent, NULL AS lm_name, NULL AS lm_phone, 0 AS ord, c.created_at
      FROM companies c WHERE c.id = ${p.construction_unit_id as string}
    UNION ALL
    SELECT 'general_contractor', c.id, c.name, c.credit_code, c.legal_representative, NULL, ${p.labor_manager_name as string | null}, ${p.labor_manager_phone_enc as string | null}, 1, c.created_at
      FROM companies c WHERE c.id = ${p.general_contractor_id as string}
    UNION ALL
    SELECT 'subcontractor', c.id, c.name, c.credit_code, c.legal_representative, s.parent_company_id, s.labor_manager_name, s.labor_manager_phone_enc, 2, s.created_at
      FROM subcontracts s JOIN companies c ON c.id = s.subcontractor_id WHERE s.project_id = ${projectId}
    ORDER BY ord, created_at`)) as unknown as Rows<{ role: PartyRole; id: string; name: string; credit_code: string; legal_representative: string; parent: string | null; lm_name: string | null; lm_phone: string | null }>;
  const policy = await getPolicy(db, p.county_code as string, today);
  const l = policy.local;
  const mw = await minimumWageFor(db, p.county_code as string, today);
  const industry = p.industry as string;
  return {
    projectId, projectName: p.name as string, countyCode: p.county_code as string, payday: Number(p.payday),
    ...payMonthOnBoard({ payMonth: p.pay_month as PayMonth, earlier: p.pay_month_earlier as unknown as PayMonthPeriod[] | null }, monthOf(today)),
    regulator: { industry, contact: (policy.regulators as Record<string, string>)[industry] ?? '' },
    parties: parties.rows.map((x) => ({
      role: x.role, companyId: x.id, name: x.name, creditCode: x.credit_code, legalRepresentative: x.legal_representative, parentCompanyId: x.parent,
      laborContact: x.lm_name ? { name: x.lm_name, phone: x.lm_phone ? pii.decrypt(x.lm_phone) : null } : null,
    })),
    minimumWage: { monthlyFen: mw.monthlyFen, hourlyFen: mw.hourlyFen, effectiveFrom: mw.effectiveFrom, source: mw.source },
    channels: { complaintHotline: l.complaintHotline, mediation: l.mediation, arbitration: l.arbitration, legalAid: l.legalAid },
  };
}

/** The setting of the current wage month, and the first later period that differs from it (announced ahead). */
function payMonthOnBoard(s: PayMonthSetting, month: string): { payMonth: PayMonth; payMonthChange: NoticeBoard['payMonthChange'] } {
  const now = payMonthOf(s, month);
  const ends = [...(s.earlier ?? []).map((e) => e.until)].filter((u) => u >= month).sort();
  for (const until of ends) {
    const from = addMonths(until, 1);
    const then = payMonthOf(s, from);
    if (then !== now) return { payMonth: now, payMonthChange: { fromMonth: from, payMonth: then } };
  }
  return { payMonth: now, payMonthChange: null };
}

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const yuan = (fen: number) => (fen / 100).toFixed(2);
const ROLE_ZH: Record<PartyRole, string> = { construction_unit: '建设单位', general_contractor: '施工总承包单位', subcontractor: '分包单位' };

/** Printable page (A4), every value HTML-escaped. */
export function noticeBoardHtml(b: NoticeBoard): string {
  const rows = b.parties.map((x) => `<tr><td>${ROLE_ZH[x.role]}</td><td>${esc(x.name)}</td><td>${esc(x.creditCode)}</td><td>${esc(x.legalRepresentative)}</td>
<td>${x.laborContact ? `${esc(x.laborContact.name)} ${esc(x.laborContact.phone ?? '')}` : '—'}</td></tr>`).join('\n');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>农民工维权信息告示牌 — ${esc(b.projectName)}</title>
<style>body{font-family:"Noto Sans SC","Microsoft YaHei",sans-serif;margin:2em;color:#111}h1{text-align:center;color:#b00}
table{border-collapse:collapse;width:100%;margin:1em 0}td,th{border:1px solid #444;padding:.4em;text-align:left}
.big{font-size:1.3em;font-weight:bold}@media print{body{margin:0}@page{size:A4;margin:15mm}}</style></head>
<body><h1>农民工维权信息告示牌</h1>
<p class="big">项目名称：${esc(b.projectName)}（行政区划 ${esc(b.countyCode)}）</p>
<table><thead><tr><th>单位类别</th><th>单位名称</th><th>统一社会信用代码</th><th>法定代表人</th><th>劳资专管员及电话</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p class="big">工资支付日：每月 ${esc(b.payday)} 日支付${b.payMonth === 'current' ? '当月' : '上月'}工资（遇休息日、法定节假日提前支付）${b.payMonthChange ? `；自${esc(b.payMonthChange.fromMonth.slice(0, 4))}年${Number(b.payMonthChange.fromMonth.slice(5))}月工资起支付${b.payMonthChange.payMonth === 'current' ? '当月' : '上月'}工资` : ''}</p>
<p>当地最低工资标准：月 ${yuan(b.minimumWage.monthlyFen)} 元，非全日制每小时 ${yuan(b.minimumWage.hourlyFen)} 元（${esc(b.minimumWage.effectiveFrom)} 起执行）</p>
<table><tbody>
<tr><th>劳动保障监察投诉举报电话</th><td class="big">${esc(b.channels.complaintHotline)}</td></tr>
<tr><th>劳动争议调解</th><td>${esc(b.channels.mediation)}</td></tr>
<tr><th>劳动人事争议仲裁</th><td>${esc(b.channels.arbitration)}</td></tr>
<tr><th>行业主管部门</th><td>${esc(b.regulator.contact)}</td></tr>
<tr><th>法律援助</th><td>${esc(b.channels.legalAid)}</td></tr>
</tbody></table>
<p>工资由施工总承包单位通过农民工工资专用账户直接发放至本人银行卡。任何单位和个人不得扣押或变相扣押农民工本人银行卡。</p>
</body></html>`;
}
