import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';

/**
 * Queue names shared by API (producers) and workers (consumers). Every worker process can run
 * every queue. Job ids are business ids, so a duplicate enqueue collapses into one job.
 */
export const QUEUE_NAMES = ['events', 'reconcile', 'sweep', 'credit', 'alert-delivery', 'bank-inbox', 'maintenance', 'lifecycle', 'sms'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export const DEFAULT_JOB_OPTS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1_000 },
  // Completed jobs are kept a day so a re-add with the same id (relay restart) is recognised.
  removeOnComplete: { age: 24 * 3600, count: 200_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export type Queues = Record<QueueName, Queue>;

export function createQueues(connection: ConnectionOptions, prefix: string): Queues {
  const out = {} as Queues;
  for (const name of QUEUE_NAMES) {
    out[name] = new Queue(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTS });
    // Redis outages are reported by /readyz; an unhandled 'error' event would crash the process.
    out[name].on('error', () => {});
  }
  return out;
}

export async function closeQueues(q: Queues): Promise<void> {
  await Promise.all(Object.values(q).map((x) => x.close()));
}

/** BullMQ job ids may not contain ':'; business keys often do. */
export const jobId = (...parts: string[]): string => parts.join('__').replace(/:/g, '_');
