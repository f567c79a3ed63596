import ExcelJS from 'exceljs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { addTo, emptyTotals, statusZh, type LedgerRow, type Totals } from './ledger.query.js';

/** Columns of the ledger sheet: Chinese headers (what an inspector expects to read), money in yuan. */
export const LEDGER_COLUMNS: { header: string; key: string; width: number; money?: boolean }[] = [
  { header: '序号', key: 'seq', width: 7 },
  { header: '姓名', key: 'name', width: 10 },
  { header: '身份证号', key: 'idNumber', width: 21 },
  { header: '用工单位', key: 'employer', width: 22 },
  { header: '工资卡号', key: 'card', width: 24 },
  { header: '出勤天数', key: 'days', width: 9 },
  { header: '工时', key: 'hours', width: 8 },
  { header: '基本工资', key: 'base', width: 11, money: true },
  { header: '加班工资', key: 'overtime', width: 11, money: true },
  { header: '计件工资', key: 'pieceRate', width: 11, money: true },
  { header: '奖金', key: 'bonus', width: 11, money: true },
  { header: '津贴补贴', key: 'allowance', width: 11, money: true },
  { header: '应发工资', key: 'gross', width: 12, money: true },
  { header: '社会保险', key: 'social', width: 11, money: true },
  { header: '个人所得税', key: 'tax', width: 11, money: true },
  { header: '其他扣款', key: 'other', width: 11, money: true },
  { header: '其他扣款说明', key: 'otherReason', width: 16 },
  { header: '扣款合计', key: 'deductions', width: 12, money: true },
  { header: '实发工资', key: 'net', width: 12, money: true },
  { header: '已支付金额', key: 'paid', width: 12, money: true },
  { header: '支付日期', key: 'paidOn', width: 12 },
  { header: '银行流水号(EndToEndId)', key: 'e2e', width: 36 },
  { header: '银行交易号', key: 'bankRef', width: 20 },
  { header: '状态', key: 'status', width: 14 },
];

/** Uncompressed sheet XML allowed to wait for the deflater (~800 rows). */
const BACKLOG_BYTES = 1 << 19;

const y = (fen: number | undefined | null) => (fen === undefined || fen === null ? null : fen / 100);

export function ledgerCells(r: LedgerRow, seq: number): Record<string, string | number | null> {
  return {
    seq, name: r.workerName, idNumber: r.idNumber, employer: r.employerName, card: r.cardNumber, days: r.daysWorked, hours: r.hours,
    base: y(r.pay?.baseFen), overtime: y(r.pay?.overtimeFen), pieceRate: y(r.pay?.pieceRateFen), bonus: y(r.pay?.bonusFen), allowance: y(r.pay?.allowanceFen),
    gross: y(r.grossFen), social: y(r.deductions?.socialInsuranceFen), tax: y(r.deductions?.incomeTaxFen), other: y(r.deductions?.otherFen),
    otherReason: r.deductions?.otherReason ?? null, deductions: y(r.deductionsFen), net: y(r.netFen), paid: y(r.paidFen), paidOn: r.paidOn,
    e2e: r.endToEndId, bankRef: r.bankTransactionId, status: statusZh(r),
  };
}

/**
 * Streaming xlsx: exceljs's WorkbookWriter commits each row as it is added (nothing of a finished
 * sheet stays in memory), one worksheet per month with a frozen header row and a totals row.
 * Call `add` per page (awaits the output's drain), then `end`.
 */
export class LedgerXlsxWriter {
  private readonly wb: ExcelJS.stream.xlsx.WorkbookWriter;
  private ws: ExcelJS.Worksheet | null = null;
  private month = '';
  private seq = 0;
  private totals: Totals = emptyTotals();

  constructor(private readonly out: Writable, private readonly title: string) {
    this.wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
    this.wb.creator = 'WageGuard';
  }

  private openSheet(month: string) {
    this.closeSheet();
    this.month = month;
    this.seq = 0;
    this.totals = emptyTotals();
    const ws = this.wb.addWorksheet(month, { views: [{ state: 'frozen', ySplit: 1 }], headerFooter: { oddHeader: `${this.title} ${month} 工资支付台账` } });
    ws.columns = LEDGER_COLUMNS.map((c) => ({ header: c.header, key: c.key, width: c.width, style: c.money ? { numFmt: '#,##0.00' } : {} }));
    ws.getRow(1).font = { bold: true };
    this.ws = ws;
  }

  private closeSheet() {
    if (!this.ws) return;
    const t = this.totals;
    const row = this.ws.addRow({ seq: '合计', name: `${t.lines} 人次`, gross: t.grossFen / 100, deductions: t.deductionsFen / 100, net: t.netFen / 100, paid: t.paidFen / 100 });
    row.font = { bold: true };
    row.commit();
    this.ws.commit();
    this.ws = null;
  }

  async add(rows: LedgerRow[]): Promise<void> {
    for (const r of rows) {
      if (r.month !== this.month || !this.ws) this.openSheet(r.month);
      this.ws!.addRow(ledgerCells(r, ++this.seq)).commit();
      addTo(this.totals, r);
    }
    await this.settle();
  }

  /**
   * Backpressure exceljs does not give: its worksheet stream (StreamBuf) writes into the zip's deflate
   * stream without waiting, so a fast producer piles the uncompressed sheet XML up in memory (~0.6 KB
   * a row: 60 MB per 100k rows). Between pages we wait until the deflater has drained, or, while the
   * sheet waits for the zip to take it, until its own queue is short.
   */
  private async settle(): Promise<void> {
    type Dest = Writable & { _writableState?: { length?: number } };
    const st = (this.ws as unknown as { stream?: { pipes?: Dest[]; buffers?: unknown[] } } | null)?.stream;
    // archiver's streams are readable-stream's, without writableNeedDrain: read the queued length.
    const queued = (d: Dest) => d.writableLength ?? d._writableState?.length ?? 0;
    for (let i = 0; i < 2_000; i++) {
      const dest = st?.pipes?.[0];
      if (dest ? queued(dest) < BACKLOG_BYTES : (st?.buffers?.length ?? 0) < 16) break;
      await Promise.race([dest ? once(dest, 'drain') : Promise.resolve(), new Promise((r) => setTimeout(r, dest ? 50 : 5))]);
    }
    if (this.out.writableNeedDrain) await once(this.out, 'drain');
  }

  async end(): Promise<void> {
    if (!this.ws && !this.month) {
      // An empty ledger is still a workbook with its header.
      this.openSheet('无数据');
    }
    this.closeSheet();
    await this.wb.commit();
  }
}
