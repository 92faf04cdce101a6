import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test-utils/tfjs-prod-mode.ts'],
    testTimeout: 60_000,
    // TF.js kernels are CPU-bound; forks keep each test file's backend state isolated.
    pool: 'forks',
  },
});
