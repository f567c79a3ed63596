/**
 * SMS templates: our names, their parameters and the Chinese text (the `log` and `http` providers send
 * the text; Aliyun renders its own approved template from the same parameters). Pure functions.
 */
export const SMS_TEMPLATES = {
  login_code: '【WageGuard】您的登录验证码是{code}，5分钟内有效。请勿告诉任何人。',
  complaint_code: '【WageGuard】您的欠薪线索验证码是{code}，5分钟内有效。',
  payslip_paid: '【WageGuard】{project} {monthText}工资 ¥{amount} 已于{dateText}到账(尾号{last4})。',
  payslip_rejected: '【WageGuard】{project} {monthText}工资 ¥{amount} 被银行退回：{reason}。已通知用工单位和总包重新发放；如银行卡有变，请联系劳资专管员。',
  payslip_missing: '【WageGuard】{project} {monthText}工资 ¥{amount} 银行未确认到账。已通知用工单位、总包和劳动监察；如仍未到账，可在工资查询页反映。',
  complaint_received: '【WageGuard】您反映的欠薪线索已收到（编号{ref}），劳动监察将在{days}个工作日内答复。',
  complaint_reply: '【WageGuard】您反映的欠薪线索（编号{ref}）有新答复：{reply}',
} as const;
export type SmsTemplate = keyof typeof SMS_TEMPLATES;

export function renderSms(template: SmsTemplate, params: Record<string, string>): string {
  return SMS_TEMPLATES[template].replace(/\{(\w+)\}/g, (_, k: string) => params[k] ?? '');
}

/** A phone as typed (spaces, hyphens, full width, +86) → the 11-digit mainland number or digits as given. */
export function normalizePhone(raw: string): string {
  const s = raw.normalize('NFKC').replace(/[\s\-()]/g, '');
  const m = /^(?:\+?86)?(1\d{10})$/.exec(s);
  return m ? m[1]! : s;
}

export const isMainlandMobile = (p: string): boolean => /^1[3-9]\d{9}$/.test(p);

/** 520000 fen → "5,200.00" (the amount as a person reads it on an SMS). */
export function yuanText(fen: number): string {
  const neg = fen < 0;
  const a = Math.abs(fen);
  const yuan = Math.floor(a / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (neg ? '-' : '') + yuan + '.' + String(a % 100).padStart(2, '0');
}

/** '2026-10' → '2026年10月'; '2026-11-15' → '11月15日'. */
export const monthText = (m: string): string => `${m.slice(0, 4)}年${Number(m.slice(5, 7))}月`;
export const dayText = (d: string): string => `${Number(d.slice(5, 7))}月${Number(d.slice(8, 10))}日`;
