#!/usr/bin/env node
// Builds the workspace packages (packages/client, packages/verify: tsc into each one's dist/), then
// dist/ from src/: tsc (all of src/, source maps, declarations), a copy of every file that is not
// TypeScript (stylesheets, scripts), and the console's browser bundle (esbuild).
// Runs at `npm ci` (prepare) and before `npm test`. Under `npm ci --omit=dev` TypeScript is absent:
// a dist/ built earlier (the production image copies it in) is kept, otherwise one clear line.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
const stamp = join(dist, '.built');
const require = createRequire(import.meta.url);

function resolves(specifier) {
  try {
    return require.resolve(specifier);
  } catch {
    return undefined;
  }
}

const tsc = resolves('typescript/bin/tsc');
if (!tsc) {
  if (existsSync(stamp)) {
    console.log(
      'latchkey build: TypeScript is not installed (production install); using the dist/ already built',
    );
    process.exit(0);
  }
  console.error(
    'latchkey build: dist/ is not built and TypeScript is not installed to build it: ' +
      'run `npm ci` with devDependencies, or copy a built dist/ in before `npm ci --omit=dev`',
  );
  process.exit(1);
}

/** tsc -p `project` into `out`, from scratch, so a file removed from src/ does not live on. */
function compile(project, out) {
  rmSync(out, { recursive: true, force: true });
  const compiled = spawnSync(process.execPath, [tsc, '-p', project], { cwd: root, stdio: 'inherit' });
  if (compiled.status !== 0) process.exit(compiled.status ?? 1);
}

// The packages first: the server imports them by name, from their dist/.
for (const name of ['client', 'verify']) {
  const folder = join(root, 'packages', name);
  compile(join(folder, 'tsconfig.json'), join(folder, 'dist'));
}
compile(join(root, 'tsconfig.build.json'), dist);

const isTypeScript = (name) => /\.tsx?$/.test(name);
for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || isTypeScript(entry.name)) continue;
  const from = join(entry.parentPath, entry.name);
  cpSync(from, join(dist, relative(src, from)));
}

const { bundleConsoleScript } = await import(join(dist, 'console/browser/bundle.js'));
writeFileSync(join(dist, 'console/browser/console.js'), bundleConsoleScript().code);

writeFileSync(stamp, `${new Date().toISOString()}\n`);
console.log(`latchkey build: ${relative(process.cwd(), dist) || '.'} ready`);
