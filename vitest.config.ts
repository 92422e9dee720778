import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Browser tests launch Chromium; two cores do not gain from more workers.
    maxWorkers: 2,
  },
});
