import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // The sample check and the browser test each start heavy child processes; run them one file at a time.
    fileParallelism: false,
  },
});
