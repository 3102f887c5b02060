import { defineConfig } from 'vitest/config';

// One project per test folder: unit tests need no network; integration and acceptance tests talk
// to the machine's RabbitMQ and to an in-process dynalite; infra tests synthesise CDK; browser
// tests drive the dashboard in chromium.
export default defineConfig({
  test: {
    // The AWS SDK's "Node 22 needed from 2027" notice, once per test file, is noise here.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      { extends: true, test: { name: 'infra', include: ['test/infra/**/*.test.ts'], testTimeout: 120_000 } },
      {
        extends: true,
        test: {
          name: 'acceptance',
          include: ['test/acceptance/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        // The dashboard in Debian's chromium (playwright-core) against a local host: sequential,
        // one browser at a time on this machine's two cores.
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        // Faults and bad input against the local host (test/faults/README in the root README):
        // sequential, since each file loads the machine; FAULTS_LONG=1 runs the long variants.
        extends: true,
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          testTimeout: process.env['FAULTS_LONG'] === '1' ? 900_000 : 180_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
