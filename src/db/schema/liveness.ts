import { boolean, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * Jobs that BullMQ failed for good (attempts used up, or stalled more than the allowed count), copied
 * from Redis by the liveness loop (src/modules/liveness). Postgres is the durable record: the loop
 * retries the job after `retry_at` from `data`, even if Redis lost it. One row per queue and job id;
 * `failures` counts how many times that id failed for good.
 */
export const deadJobs = pgTable(
  'dead_jobs',
  {
    queue: text('queue').notNull(),
    jobId: text('job_id').notNull(),
    name: text('name').notNull(),
    data: jsonb('data').notNull(),
    /** The job's own attempts/backoff, so a retry behaves like the original job. */
    opts: jsonb('opts').notNull().default({}),
    reason: text('reason').notNull(),
    /** BullMQ's finishedOn (ms) of the latest failure: identifies it, so a re-scan records nothing new. */
    failedOn: text('failed_on').notNull(),
    failures: integer('failures').notNull().default(1),
    /**
     * failed (waiting for retry_at) | retrying (re-added to its queue) | resolved (the retry completed) |
     * parked (the processor threw UnrecoverableError: the same data cannot succeed, so no automatic retry)
     */
    status: text('status').notNull().default('failed'),
    retryAt: ts('retry_at').notNull(),
    retriedAt: ts('retried_at'),
    resolvedAt: ts('resolved_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.queue, t.jobId] })],
);

/** This database's identity (one row), drawn at migration; the queue prefix claim names it. */
export const platformIdentity = pgTable('platform_identity', {
  singleton: boolean('singleton').primaryKey().default(true),
  instanceId: uuid('instance_id').notNull().defaultRandom(),
  createdAt: ts('created_at').notNull().defaultNow(),
});
