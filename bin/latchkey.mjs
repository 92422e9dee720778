#!/usr/bin/env node
// Runs the compiled JavaScript in dist/ (built by `npm ci` / `npm run build`): the server bundled as
// one script (dist/bundle/, see scripts/build.mjs), compiled with a V8 code cache (./load-bundle.mjs).
// TypeScript is never loaded at run time.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { loadBundle } from './load-bundle.mjs';

const built = new URL('../dist/.built', import.meta.url);
if (!existsSync(built)) {
  process.stderr.write('latchkey: dist/ is not built: run `npm run build` (npm ci does it too)\n');
  process.exit(1);
}
// Loading the server allocates tens of MB that stay alive (modules, code): V8 reads that survival as
// a sign to grow the young generation, which then sat at 32 MB (16 MB × 2 semi-spaces) of an idle
// server's ~95 MB RSS. It stays at its initial 2 MB while we start; once it listens, `startServer`
// lets it grow with the load up to 16 MB (src/server.ts `releaseYoungGeneration`).
// (A runtime flag: it works the same under `npm start`, `latchkey serve` and the Docker image.)
if (!youngGenerationTuned()) {
  setFlagsFromString('--semi-space-growth-factor=1');
  globalThis[Symbol.for('latchkey.youngGenerationHeld')] = true;
}
// Old space: after each full GC, V8 lets the heap grow up to 4× what survived before the next one;
// a server's garbage then sits in RSS for seconds. Growing by 20 % took 20–40 MB off the peak RSS
// under load at no CPU cost we could measure (bench/README.md, "Fourth round"). Read at every GC,
// so it works as a runtime flag; an operator's own heap flags win.
if (!oldGenerationTuned()) setFlagsFromString('--heap-growing-percent=20');
loadBundle(fileURLToPath(new URL('../dist/bundle/latchkey.cjs', import.meta.url)));

/** An operator's own heap flags win over ours. */
function oldGenerationTuned() {
  return /heap[-_]growing|max[-_]old[-_]space|max[-_]heap/.test(operatorFlags());
}

function youngGenerationTuned() {
  return /semi[-_]space/.test(operatorFlags());
}

function operatorFlags() {
  return `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
}
