import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  // The workspace packages from their sources, as tsconfig.json's `paths` (tests run TypeScript).
  resolve: {
    alias: [
      { find: /^@latchkey\/client$/, replacement: source('./packages/client/src/index.ts') },
      { find: /^@latchkey\/verify$/, replacement: source('./packages/verify/src/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Browser tests launch Chromium; two cores do not gain from more workers.
    maxWorkers: 2,
  },
});
