#!/usr/bin/env node
// Runs the compiled modules in dist/ (built by `npm ci` / `npm run build`, scripts/build.mjs): the
// same modules the tests exercise. TypeScript is never loaded at run time.
import { existsSync } from 'node:fs';
import module from 'node:module';

if (!existsSync(new URL('../dist/.built', import.meta.url))) {
  process.stderr.write('latchkey: dist/ is not built: run `npm run build` (npm ci does it too)\n');
  process.exit(1);
}
// Node 22.1+: V8's compiled code of these modules is kept on disk (NODE_COMPILE_CACHE, else in the
// temporary directory) and the next start reads it instead of compiling again.
module.enableCompileCache?.();
// Stack traces name src/*.ts and their lines, through tsc's source maps (a crash report points at the
// code to read). Node ≥ 22.14 can leave node_modules out; before that, setSourceMapsEnabled.
if (module.setSourceMapsSupport) module.setSourceMapsSupport(true);
else process.setSourceMapsEnabled(true);
await import('../dist/cli.js');
