import type { FastifyBaseLogger } from 'fastify';
import type { SmsConfig } from './notify.config.js';
import { aliyunProvider } from './provider.aliyun.js';
import { httpProvider } from './provider.http.js';
import { maskPhone } from '../../lib/identifiers.js';

/** One SMS as a provider sends it. `id` is the message's id: the idempotency key a gateway can dedupe on. */
export interface SmsOut {
  id: string;
  phone: string;
  template: string;
  params: Record<string, string>;
  text: string;
}

export interface SmsProvider {
  readonly name: string;
  /**
   * True when a repeat of the same `id` is recognised by the receiver (Standard Webhooks `webhook-id`).
   * A send interrupted by a crash is then retried; otherwise it is marked `uncertain`, never repeated.
   */
  readonly idempotent: boolean;
  send(m: SmsOut): Promise<{ ref: string | null }>;
}

/** The provider said no for good (bad number, unknown template): retrying cannot help. */
export class PermanentSmsError extends Error {}

type Log = Pick<FastifyBaseLogger, 'info'>;

/** Development default: the message goes to the log, phone masked (the text is what a developer needs to sign in). */
export function logProvider(log: Log): SmsProvider {
  return {
    name: 'log',
    idempotent: true,
    async send(m) {
      log.info({ sms: { id: m.id, to: maskPhone(m.phone), template: m.template, text: m.text } }, 'sms (log provider)');
      return { ref: null };
    },
  };
}

export function createNotifier(cfg: SmsConfig, log: Log): SmsProvider {
  switch (cfg.provider) {
    case 'log':
      return logProvider(log);
    case 'http':
      return httpProvider(cfg.httpUrl!, cfg.httpSecret!);
    case 'aliyun':
      return aliyunProvider(cfg.aliyun!);
  }
}
