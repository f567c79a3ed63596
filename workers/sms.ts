import { UnrecoverableError, type Job } from 'bullmq';
import pino from 'pino';
import type { Deps } from '../src/deps.js';
import { createNotifier, type SmsProvider } from '../src/modules/notify/notifier.js';
import { chinaToday } from '../src/lib/calendar.js';
import { notifySettledLines } from '../src/modules/workers-door/payslip-sms.handler.js';
import { markSmsFailed, requeueUnsentSms, sendRecordedSms } from '../src/modules/notify/sms.service.js';

// One provider per process configuration (the Aliyun client keeps its own connection pool).
const providers = new WeakMap<Deps['config'], SmsProvider>();
function providerFor(deps: Deps): SmsProvider {
  let p = providers.get(deps.config);
  if (!p) {
    p = createNotifier(deps.config.sms, pino({ level: deps.config.logLevel, name: 'sms' }));
    providers.set(deps.config, p);
  }
  return p;
}

/**
 * Processor for the `sms` queue: `{ id }` sends one recorded message (see sendRecordedSms for the
 * never-twice rule); `{ requeue: true }` re-derives the queue from Postgres; `{ settled }` sends settle notices.
 */
export default async function process(job: Job<{ id?: string; requeue?: boolean; settled?: { batchId?: string; asOf: string } }>, deps: Deps): Promise<unknown> {
  const d = job.data;
  if (d?.requeue) return { requeued: await requeueUnsentSms(deps), settled: await notifySettledLines(deps, { asOf: chinaToday(deps.now()), sinceDays: 7 }) };
  if (d?.settled) return { settled: await notifySettledLines(deps, d.settled) };
  if (!d || typeof d.id !== 'string') throw new UnrecoverableError(`malformed sms job ${job.id}`);
  try {
    return await sendRecordedSms(deps, providerFor(deps), d.id);
  } catch (e) {
    if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await markSmsFailed(deps.db, d.id);
    throw e;
  }
}
