import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    // The real-systems tier runs with `npm run test:real` (vitest.real.config.ts).
    exclude: [...configDefaults.exclude, '__tests__/real/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Its modules import JSON without an import attribute, which Node refuses; Vite's transform accepts it.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
});
