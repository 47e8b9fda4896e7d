import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['test/large/**', 'node_modules/**'],
    // Corpus tests load real models into onnxruntime; give them room on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    setupFiles: ['test/setup/temp-dirs.ts'],
    pool: 'forks',
    maxWorkers: 2,
  },
});
