import { Webhook } from 'standardwebhooks';
import { PermanentSmsError, type SmsProvider } from './notifier.js';

/**
 * A signed JSON POST (Standard Webhooks) to an operator's SMS gateway: `{ type: "sms", data: { phone,
 * template, params, text } }`. `webhook-id` is the message id on every attempt, so a gateway that
 * dedupes by it (as the spec asks) delivers a retried message once. The operator's URL is trusted
 * (loopback included), so there is no SSRF filter here.
 */
export function httpProvider(url: string, secret: string, timeoutMs = 10_000): SmsProvider {
  const signer = new Webhook(secret);
  return {
    name: 'http',
    idempotent: true,
    async send(m) {
      const body = JSON.stringify({ type: 'sms', data: { phone: m.phone, template: m.template, params: m.params, text: m.text } });
      const at = new Date();
      const res = await fetch(url, {
        method: 'POST',
        body,
        signal: AbortSignal.timeout(timeoutMs),
        headers: {
          'content-type': 'application/json',
          'webhook-id': m.id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signer.sign(m.id, at, body),
        },
      });
      const text = await res.text().catch(() => '');
      if (res.ok) return { ref: res.headers.get('x-message-id') };
      // 408/409/425/429 and 5xx are transient; any other 4xx is the gateway refusing this message.
      if (res.status >= 400 && res.status < 500 && ![408, 409, 425, 429].includes(res.status)) {
        throw new PermanentSmsError(`gateway refused: ${res.status} ${text.slice(0, 200)}`);
      }
      throw new Error(`gateway error: ${res.status}`);
    },
  };
}
