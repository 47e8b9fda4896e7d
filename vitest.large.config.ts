import { defineConfig } from 'vitest/config';

// Slow tests kept out of `npm test`: `npm run test:large`.
export default defineConfig({
  test: {
    include: ['test/large/**/*.test.ts'],
    testTimeout: 900_000,
    setupFiles: ['test/setup/temp-dirs.ts'],
    pool: 'forks',
    maxWorkers: 1,
  },
});
