#!/usr/bin/env node
// Runs the compiled JavaScript in dist/ (built by `npm ci` / `npm run build`), with stack traces
// mapped back to the TypeScript sources. TypeScript is never loaded at run time.
import { existsSync } from 'node:fs';

const built = new URL('../dist/.built', import.meta.url);
if (!existsSync(built)) {
  process.stderr.write('latchkey: dist/ is not built: run `npm run build` (npm ci does it too)\n');
  process.exit(1);
}
process.setSourceMapsEnabled(true);
await import('../dist/cli.js');
