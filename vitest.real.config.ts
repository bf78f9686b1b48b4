// `npm run test:real`: the real-systems tier (real Airflow 2 and 3, real Dagster with dagster-airlift).
// Its suites share a 2-core machine with the servers they start: one file at a time.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['__tests__/real/**/*.test.ts'],
    globalSetup: ['__tests__/real/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 600_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
