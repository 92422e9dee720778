#!/usr/bin/env node
// Runs the compiled JavaScript in dist/ (built by `npm ci` / `npm run build`): the server bundled as
// one module (dist/bundle/, see scripts/build.mjs), with stack traces mapped back to the TypeScript
// sources. TypeScript is never loaded at run time.
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

const built = new URL('../dist/.built', import.meta.url);
if (!existsSync(built)) {
  process.stderr.write('latchkey: dist/ is not built: run `npm run build` (npm ci does it too)\n');
  process.exit(1);
}
process.setSourceMapsEnabled(true);
// Loading the server allocates tens of MB that stay alive (modules, code): V8 reads that survival as
// a sign to grow the young generation, which then sat at 32 MB (16 MB × 2 semi-spaces) of an idle
// server's ~95 MB RSS. It stays at its initial 2 MB while we start; `startServer` restores V8's
// default factor once it listens, so under load the young generation grows as it always did.
// (A runtime flag: it works the same under `npm start`, `latchkey serve` and the Docker image.)
if (!youngGenerationTuned()) {
  setFlagsFromString('--semi-space-growth-factor=1');
  globalThis[Symbol.for('latchkey.youngGenerationHeld')] = true;
}
await import('../dist/bundle/latchkey.js');

/** An operator's own young-generation flags win over ours. */
function youngGenerationTuned() {
  const flags = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  return /semi[-_]space/.test(flags);
}
