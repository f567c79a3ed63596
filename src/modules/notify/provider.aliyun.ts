import DysmsModule, * as $Dysms from '@alicloud/dysmsapi20170525';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import type { AliyunSmsConfig } from './notify.config.js';
import { PermanentSmsError, type SmsProvider } from './notifier.js';

// The package is CommonJS with `exports.default = Client`: under Node's ESM loader the default import
// is `module.exports`, so the class is its `default` (tsx/vitest hand back the class itself).
type ClientCtor = typeof DysmsModule.default;
const Client: ClientCtor = (DysmsModule as { default?: ClientCtor }).default ?? (DysmsModule as unknown as ClientCtor);

/** Aliyun error codes that will not get better by retrying (number, template, signature, account). */
const PERMANENT = /^isv\.(MOBILE_NUMBER_ILLEGAL|TEMPLATE_MISSING_PARAMETERS|SMS_TEMPLATE_ILLEGAL|SMS_SIGNATURE_ILLEGAL|INVALID_PARAMETERS|PARAM_LENGTH_LIMIT|BLACK_KEY_CONTROL_LIMIT|MOBILE_COUNT_OVER_LIMIT|AMOUNT_NOT_ENOUGH|OUT_OF_SERVICE|PRODUCT_UN_SUBSCRIPT|ACCOUNT_NOT_EXISTS|ACCOUNT_ABNORMAL)$/;

/**
 * Alibaba Cloud SMS through its official SDK. Our template names map to the codes approved in the
 * console (SMS_ALIYUN_TEMPLATES). SendSms has no idempotency key (OutId is only echoed in receipts),
 * so this provider is not idempotent: a send cut off by a crash is recorded `uncertain`, not repeated.
 */
export function aliyunProvider(cfg: AliyunSmsConfig): SmsProvider {
  const client = new Client(new $OpenApiUtil.Config({
    accessKeyId: cfg.accessKeyId, accessKeySecret: cfg.accessKeySecret, endpoint: cfg.endpoint, protocol: cfg.protocol,
  }));
  return {
    name: 'aliyun',
    idempotent: false,
    async send(m) {
      const templateCode = cfg.templates[m.template];
      if (!templateCode) throw new PermanentSmsError(`no Aliyun template code configured for "${m.template}"`);
      const res = await client.sendSms(new $Dysms.SendSmsRequest({
        phoneNumbers: m.phone, signName: cfg.signName, templateCode, templateParam: JSON.stringify(m.params), outId: m.id.replace(/-/g, ''),
      }));
      const b = res.body;
      if (b?.code === 'OK') return { ref: b.bizId ?? null };
      const code = b?.code ?? 'unknown';
      if (PERMANENT.test(code)) throw new PermanentSmsError(`aliyun ${code}: ${b?.message ?? ''}`);
      throw new Error(`aliyun ${code}: ${b?.message ?? ''}`);
    },
  };
}
