import { defineConfig } from 'vitest/config';

const CLUSTER_TESTS = [
  'tests/integration/relay.test.ts',
  'tests/integration/relay-sharded.test.ts',
  'tests/integration/alerts-stream.test.ts',
  'tests/integration/reconcile-resume.test.ts',
  'tests/integration/reconciliation-crash.test.ts',
  'tests/integration/liveness.test.ts',
  'tests/integration/prefix-claim.test.ts',
  'tests/integration/redis-cluster.cluster-test.ts',
];

export default defineConfig({
  test: {
    globalSetup: ['./tests/helpers/global-setup.ts'],
    // The default output, then one line when browser tests were skipped for want of Chromium.
    reporters: ['default', './tests/browser/skip-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: a few files at once, each with its own database and queue prefix.
    maxWorkers: 3,
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['tests/integration/**/*.test.ts'] } },
      // The queue, relay, SSE fan-out, resume and liveness tests again, on a 3-master Redis Cluster
      // (.ci/redis-cluster.sh; REDIS_URL in its cluster form).
      {
        extends: true,
        test: {
          name: 'cluster',
          include: CLUSTER_TESTS,
          globalSetup: ['./tests/helpers/global-setup.ts', './tests/helpers/cluster-setup.ts'],
          env: { REDIS_URL: 'redis+cluster://127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103' },
        },
      },
    ],
  },
});
