import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { addTo, emptyTotals, statusZh, yuan, type LedgerRow, type Totals } from './ledger.query.js';
import { newPdf, signatureBox } from './pdf.js';

const COLS: { h: string; w: number; v: (r: LedgerRow, seq: number) => string; right?: boolean; size?: number }[] = [
  { h: '序号', w: 28, v: (_r, s) => String(s) },
  { h: '姓名', w: 50, v: (r) => r.workerName },
  { h: '身份证号', w: 92, v: (r) => r.idNumber },
  { h: '用工单位', w: 64, v: (r) => r.employerName },
  { h: '工资卡号', w: 84, v: (r) => r.cardNumber },
  { h: '天数', w: 30, v: (r) => String(r.daysWorked), right: true },
  { h: '应发(元)', w: 58, v: (r) => yuan(r.grossFen), right: true },
  { h: '扣款(元)', w: 52, v: (r) => yuan(r.deductionsFen), right: true },
  { h: '实发(元)', w: 58, v: (r) => yuan(r.netFen), right: true },
  { h: '已付(元)', w: 58, v: (r) => yuan(r.paidFen), right: true },
  { h: '支付日期', w: 52, v: (r) => r.paidOn ?? '' },
  { h: '状态', w: 48, v: (r) => statusZh(r) },
  { h: '银行流水号', w: 112, v: (r) => r.endToEndId, size: 5.8 },
];
const ROW_H = 12;
const MONEY_COL = { gross: 6, deductions: 7, net: 8, paid: 9 };

/**
 * The printed ledger: A4 landscape, a section per month with its heading, page totals at the foot of
 * every page, month totals and the signature/stamp box at the end of each month. pdfkit writes each
 * finished page out, so memory stays flat; `add` awaits the output's drain.
 */
export class LedgerPdfWriter {
  private readonly doc = newPdf('工资支付台账');
  private month = '';
  private seq = 0;
  private y = 0;
  private page: Totals = emptyTotals();
  private monthTotals: Totals = emptyTotals();
  private started = false;

  constructor(private readonly out: Writable, private readonly title: string) {
    this.doc.pipe(out);
  }

  private get bottom() { return this.doc.page.height - this.doc.page.margins.bottom - 2 * ROW_H; }
  private get left() { return this.doc.page.margins.left; }

  private newPage(first = false) {
    if (!first) {
      this.pageFooter();
      this.doc.addPage();
    }
    this.page = emptyTotals();
    this.doc.fontSize(11).text(`${this.title}  工资支付台账  ${this.month}`, this.left, this.doc.page.margins.top);
    this.y = this.doc.page.margins.top + 20;
    this.rowText(COLS.map((c) => c.h), true);
  }

  private rowText(cells: string[], bold = false) {
    let x = this.left;
    cells.forEach((t, i) => {
      const c = COLS[i]!;
      this.doc.fontSize(bold ? 7 : c.size ?? 6.5);
      this.doc.text(t, x + 1, this.y + 2, { width: c.w - 2, height: ROW_H, lineBreak: false, ellipsis: true, align: c.right ? 'right' : 'left' });
      x += c.w;
    });
    this.doc.moveTo(this.left, this.y + ROW_H).lineTo(x, this.y + ROW_H).lineWidth(0.3).stroke();
    this.y += ROW_H;
  }

  private totalsRow(label: string, t: Totals) {
    const cells = COLS.map(() => '');
    cells[1] = label;
    cells[2] = `${t.lines} 人次`;
    cells[MONEY_COL.gross] = yuan(t.grossFen);
    cells[MONEY_COL.deductions] = yuan(t.deductionsFen);
    cells[MONEY_COL.net] = yuan(t.netFen);
    cells[MONEY_COL.paid] = yuan(t.paidFen);
    this.rowText(cells, true);
  }

  private pageFooter() {
    this.totalsRow('本页合计', this.page);
  }

  private closeMonth() {
    if (!this.started) return;
    this.pageFooter();
    this.totalsRow('本月合计', this.monthTotals);
    if (this.y + 80 > this.doc.page.height - this.doc.page.margins.bottom) {
      this.doc.addPage();
      this.y = this.doc.page.margins.top;
    }
    signatureBox(this.doc, this.y + 6, ['用人单位（盖章）', '总承包单位（盖章）', '劳资专管员（签字）']);
  }

  async add(rows: LedgerRow[]): Promise<void> {
    for (const r of rows) {
      if (r.month !== this.month) {
        this.closeMonth();
        if (this.started) this.doc.addPage();
        this.month = r.month;
        this.seq = 0;
        this.monthTotals = emptyTotals();
        this.newPage(true);
        this.started = true;
      }
      if (this.y + ROW_H > this.bottom) this.newPage();
      const seq = ++this.seq;
      this.rowText(COLS.map((c) => c.v(r, seq)));
      addTo(this.page, r);
      addTo(this.monthTotals, r);
    }
    if (this.out.writableNeedDrain) await once(this.out, 'drain');
  }

  async end(): Promise<void> {
    if (!this.started) {
      this.month = '无数据';
      this.newPage(true);
      this.started = true;
    }
    this.closeMonth();
    const done = once(this.out, 'finish');
    this.doc.end();
    await done;
  }
}
