import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Its modules import JSON without an import attribute, which Node refuses; Vite's transform accepts it.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
});
