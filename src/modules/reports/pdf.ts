import PDFDocument from 'pdfkit';
import { existsSync } from 'node:fs';

/** The CJK font the brief names (Debian fonts-wqy-microhei); PDFs without it would print boxes. */
export const CJK_FONT = process.env.WG_CJK_FONT ?? '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc';

/** An A4 landscape document with the CJK font registered as 'cjk'. */
export function newPdf(title: string): PDFKit.PDFDocument {
  const doc = new PDFDocument({ size: 'A4', layout: 'landscape', margin: 28, bufferPages: false, info: { Title: title, Creator: 'WageGuard' } });
  if (!existsSync(CJK_FONT)) throw new Error(`CJK font missing: ${CJK_FONT} (install fonts-wqy-microhei)`);
  doc.registerFont('cjk', CJK_FONT, 'WenQuanYiMicroHei');
  doc.font('cjk');
  return doc;
}

/** Signature and stamp box for the employer and the labour-wage officer (签字盖章栏). */
export function signatureBox(doc: PDFKit.PDFDocument, y: number, labels: string[]): void {
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;
  const w = width / labels.length;
  doc.lineWidth(0.6);
  labels.forEach((label, i) => {
    const x = left + i * w;
    doc.rect(x, y, w, 70).stroke();
    doc.fontSize(9).text(label, x + 6, y + 6, { width: w - 12 });
    doc.fontSize(8).text('签字：              日期：', x + 6, y + 52, { width: w - 12 });
  });
}
