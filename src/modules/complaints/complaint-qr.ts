import QRCode from 'qrcode';

/** The complaint form of a project on the worker page: what the notice board's QR code carries. */
export const complaintUrl = (publicBaseUrl: string, projectId: string): string => `${publicBaseUrl.replace(/\/$/, '')}/w/#complain/${projectId}`;

/** The QR code as inline SVG (no image request, prints sharp). Error correction M survives a dirty board. */
export async function complaintQrSvg(url: string): Promise<string> {
  return QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/** The notice board's printable section: QR code, link and a plain-words line. */
export async function complaintQrSection(publicBaseUrl: string, projectId: string): Promise<string> {
  const url = complaintUrl(publicBaseUrl, projectId);
  const svg = await complaintQrSvg(url);
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  return `<section class="qr" aria-label="欠薪投诉二维码"><h2>被拖欠工资？扫码反映</h2><div style="width:180px" role="img" aria-label="投诉表单二维码">${svg}</div><p>${esc(url)}</p><p>也可以拨打 12333。您的身份只对劳动监察部门公开。</p></section>`;
}
