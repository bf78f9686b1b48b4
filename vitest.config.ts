import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    // The real-systems tier runs with `npm run test:real` (vitest.real.config.ts).
    exclude: [...configDefaults.exclude, '__tests__/real/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
