import ExcelJS from 'exceljs';
import { PassThrough } from 'node:stream';
import type { CountyReport, CountyReportRow } from './county-report.service.js';
import { newPdf, signatureBox } from './pdf.js';
import { yuan } from './ledger.query.js';

const INDUSTRY_ZH: Record<string, string> = { housing: '房屋建筑', transport: '交通运输', water: '水利', power: '电力', utilities: '市政公用', land: '土地整治', total: '合计' };
const pct = (bp: number | null) => (bp === null ? '—' : `${(bp / 100).toFixed(2)}%`);
const opt = (v: number | null) => (v === null ? '—' : String(v));

/** Columns: Chinese header, value as printed. */
export const COUNTY_COLUMNS: { h: string; v: (r: CountyReportRow) => string | number; w: number }[] = [
  { h: '行业', v: (r) => INDUSTRY_ZH[r.industry] ?? r.industry, w: 52 },
  { h: '在建项目', v: (r) => r.projects, w: 40 },
  { h: '在册工人', v: (r) => r.workers, w: 44 },
  { h: '应发人次', v: (r) => r.linesDue, w: 44 },
  { h: '已结清人次', v: (r) => r.linesCleared, w: 48 },
  { h: '结清率', v: (r) => pct(r.clearanceBp), w: 46 },
  { h: '目标', v: (r) => pct(r.clearanceTargetBp), w: 42 },
  { h: '新立案件', v: (r) => r.casesOpened, w: 40 },
  { h: '结案', v: (r) => r.casesClosed, w: 32 },
  { h: '逾期案件', v: (r) => r.casesOverdue, w: 40 },
  { h: '欠薪金额(元)', v: (r) => yuan(r.owedFen), w: 62 },
  { h: '已清偿(元)', v: (r) => yuan(r.clearedFen), w: 62 },
  { h: '应缴保证金(元)', v: (r) => yuan(r.depositRequiredFen), w: 70 },
  { h: '在存保证金(元)', v: (r) => yuan(r.depositHeldFen), w: 66 },
  { h: '动用保证金(元)', v: (r) => yuan(r.depositDrawnFen), w: 62 },
  { h: '保函将到期', v: (r) => r.guaranteesExpiring, w: 40 },
  { h: '列入黑名单', v: (r) => opt(r.blacklistListed), w: 40 },
  { h: '移出黑名单', v: (r) => opt(r.blacklistRemoved), w: 40 },
  { h: '收到投诉', v: (r) => opt(r.complaintsReceived), w: 38 },
  { h: '按时答复', v: (r) => opt(r.complaintsAnsweredInTime), w: 38 },
];

export async function countyReportXlsx(r: CountyReport): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'WageGuard';
  const ws = wb.addWorksheet(r.month, { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = COUNTY_COLUMNS.map((c) => ({ header: c.h, width: Math.max(10, Math.round(c.w / 4)) }));
  ws.getRow(1).font = { bold: true };
  for (const row of r.rows) {
    const x = ws.addRow(COUNTY_COLUMNS.map((c) => c.v(row)));
    if (row.industry === 'total') x.font = { bold: true };
  }
  ws.addRow([]);
  ws.addRow([`县（市、区）${r.countyCode}  ${r.month} 月度报表  生成于 ${r.generatedOn}`]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export function countyReportPdf(r: CountyReport): PassThrough {
  const out = new PassThrough();
  const doc = newPdf('县级月度报表');
  doc.pipe(out);
  const left = doc.page.margins.left;
  doc.fontSize(14).text(`农民工工资支付监管月度报表  ${r.countyCode}  ${r.month}`, left, doc.page.margins.top);
  doc.fontSize(8).text(`生成日期 ${r.generatedOn}（结清率目标 ${pct(r.rows[0]?.clearanceTargetBp ?? 9900)}）`);
  let y = doc.y + 10;
  const line = (cells: (string | number)[], bold: boolean) => {
    let x = left;
    doc.fontSize(bold ? 7 : 7);
    cells.forEach((t, i) => {
      const w = COUNTY_COLUMNS[i]!.w;
      doc.text(String(t), x + 1, y + 2, { width: w - 2, height: 20, lineBreak: true });
      x += w;
    });
    y += bold ? 22 : 14;
    doc.moveTo(left, y - 2).lineTo(x, y - 2).lineWidth(0.3).stroke();
  };
  line(COUNTY_COLUMNS.map((c) => c.h), true);
  for (const row of r.rows) line(COUNTY_COLUMNS.map((c) => c.v(row)), row.industry === 'total');
  signatureBox(doc, y + 20, ['填报单位（盖章）', '审核人（签字）']);
  doc.end();
  return out;
}
