import { existsSync } from 'node:fs';
import PDFDocument from 'pdfkit';
import { yuanText } from '../notify/sms.rules.js';
import type { Payslip } from './payslips.service.js';

/** The CJK font the brief names; pdfkit reads one face of the collection by its PostScript name. */
export const CJK_FONT = '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc';

const STATUS_ZH: Record<string, string> = {
  pending: '待发放', paid: '已到账', paid_late: '已到账（逾期）', underpaid: '少付', overpaid: '多付', rejected: '银行退回',
  wrong_account: '付至非本人卡', missing: '未到账', duplicate: '重复支付', disputed: '工人已提出异议',
};

/** One pay slip (工资清单, 条例 Art. 15) as a PDF, in Chinese. */
export function payslipPdf(s: Payslip, issuedAt: Date): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A5', margin: 36, info: { Title: `工资清单 ${s.month}`, Producer: 'WageGuard' } });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    if (existsSync(CJK_FONT)) doc.font(CJK_FONT, 'WenQuanYiMicroHei');
    doc.fontSize(16).text(`工资清单  ${s.month.slice(0, 4)}年${Number(s.month.slice(5, 7))}月`, { align: 'center' });
    doc.moveDown(0.6).fontSize(10);
    const row = (k: string, v: string) => doc.text(`${k}：${v}`);
    row('项目', s.projectName);
    row('用工单位', s.employerName);
    row('施工总承包单位', s.generalContractorName);
    doc.moveDown(0.4);
    row('出勤天数', `${s.daysWorked} 天`);
    if (s.hours !== null) row('计薪工时', `${s.hours} 小时`);
    row('应发工资', `¥${yuanText(s.grossFen)}`);
    for (const i of s.items.filter((x) => x.kind === 'pay')) row(`  其中 ${i.label}`, `¥${yuanText(i.amountFen)}`);
    row('扣除', `¥${yuanText(s.deductionsFen)}`);
    for (const i of s.items.filter((x) => x.kind === 'deduction')) row(`  其中 ${i.label}`, `¥${yuanText(i.amountFen)}`);
    row('实发工资', `¥${yuanText(s.netFen)}`);
    doc.moveDown(0.4);
    row('实际到账', `¥${yuanText(s.paidFen)}`);
    row('到账日期', s.paidOn ?? '—');
    row('收款银行卡', s.cardMasked ?? '—');
    row('银行状态', STATUS_ZH[s.bankStatus] ?? s.bankStatus);
    if (s.reasonText) row('退回原因', s.reasonText);
    if (s.status === 'disputed') row('状态', STATUS_ZH.disputed!);
    doc.moveDown(1).fontSize(8).fillColor('#555')
      .text(`工资行编号 ${s.lineId}。开具时间 ${issuedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC。如有疑问，请拨打 12333 或在工资查询页反映。`);
    doc.end();
  });
}
