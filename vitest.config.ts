import { defineConfig } from 'vitest/config';

// Native addons and worker_threads: run each test file in its own process.
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
  },
});
