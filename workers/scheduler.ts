import cron from 'node-cron';
import type { Deps } from '../src/deps.js';
import { jobId, type QueueName } from '../src/jobs/queues.js';
import { chinaToday } from '../src/lib/calendar.js';

/** Schedules as data. Each tick only enqueues, with a job id derived from the date, so several
 *  worker processes running the same schedule produce one job per day. */
export interface Schedule {
  name: string;
  cron: string;
  queue: QueueName;
  data: (asOf: string) => Record<string, unknown>;
  /** Runs more than once a day: the job id carries the hour as well as the date. */
  hourly?: boolean;
}

export const SCHEDULES: Schedule[] = [
  { name: 'daily-sweep', cron: '15 1 * * *', queue: 'sweep', data: (asOf) => ({ asOf }) },
  { name: 'nightly-credit', cron: '45 2 * * *', queue: 'credit', data: (asOf) => ({ asOf, all: true }) },
  { name: 'idempotency-purge', cron: '7 * * * *', queue: 'maintenance', data: () => ({}), hourly: true },
  { name: 'key-rotation', cron: '37 * * * *', queue: 'maintenance', data: () => ({}), hourly: true },
  // Project life: signals, retention and erasure, county monthly reports on the 1st working day.
  { name: 'nightly-lifecycle', cron: '30 3 * * *', queue: 'lifecycle', data: (asOf) => ({ asOf }) },
  { name: 'sms-requeue', cron: '30 3 * * *', queue: 'sms', data: () => ({ requeue: true }) },
  // The day's signed audit checkpoint (run by the sweep queue's processor, see workers/sweep.ts).
  { name: 'audit-checkpoint', cron: '5 0 * * *', queue: 'sweep', data: (asOf) => ({ asOf }) },
];


export async function enqueueScheduled(deps: Pick<Deps, 'queues'>, s: Schedule, now: Date): Promise<void> {
  const asOf = chinaToday(now);
  await deps.queues[s.queue].add(s.name, s.data(asOf), { jobId: s.hourly ? jobId(s.name, asOf, String(now.getUTCHours())) : jobId(s.name, asOf) });
}

export function startScheduler(deps: Pick<Deps, 'queues' | 'now'>, log: (e: unknown) => void): { stop(): void } {
  const tasks = SCHEDULES.map((s) =>
    cron.schedule(s.cron, () => {
      enqueueScheduled(deps, s, deps.now()).catch(log);
    }, { timezone: 'Asia/Shanghai' }),
  );
  return { stop: () => { for (const t of tasks) Promise.resolve(t.stop()).catch(log); } };
}
