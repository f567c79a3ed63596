import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { addTo, emptyTotals, type LedgerRow } from './ledger.query.js';

/** The ledger as one JSON document, written row by row (same flat memory as the xlsx and PDF). */
export class LedgerJsonWriter {
  private first = true;
  private readonly totals = emptyTotals();
  constructor(private readonly out: Writable, head: Record<string, unknown>) {
    const h = JSON.stringify(head);
    out.write(h.slice(0, -1) + (h.length > 2 ? ',' : '') + '"items":[');
  }
  async add(rows: LedgerRow[]): Promise<void> {
    let chunk = '';
    for (const r of rows) {
      chunk += (this.first ? '' : ',') + JSON.stringify(r);
      this.first = false;
      addTo(this.totals, r);
    }
    if (!this.out.write(chunk)) await once(this.out, 'drain');
  }
  async end(): Promise<void> {
    this.out.end(`],"totals":${JSON.stringify(this.totals)}}`);
  }
}
