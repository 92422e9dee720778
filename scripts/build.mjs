#!/usr/bin/env node
// Builds dist/ from src/: tsc (all of src/, source maps, SDK declarations), a copy of every file
// that is not TypeScript (stylesheets, scripts), and the console's browser bundle (esbuild).
// Runs at `npm ci` (prepare) and before `npm test`. Under `npm ci --omit=dev` TypeScript is absent:
// a dist/ built earlier (the production image copies it in) is kept, otherwise one clear line.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

// From scratch, so a file removed from src/ does not live on in dist/.
rmSync(dist, { recursive: true, force: true });
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
  cwd: root,
  stdio: 'inherit',
});
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

const isTypeScript = (name) => /\.tsx?$/.test(name);
for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || isTypeScript(entry.name)) continue;
  const from = join(entry.parentPath, entry.name);
  cpSync(from, join(dist, relative(src, from)));
}

// Kysely ships ~400 ES modules; resolving and loading them one by one took 150–300 ms of every
// start here. One bundled copy under dist/vendor/ loads in ~30 ms; dist/ imports that copy.
// Without comments (names kept): its JSDoc holds a few non-ASCII characters, which made V8 keep the
// whole ~490 KB source as a two-byte string (~1 MB of heap for the life of the process); now ~270 KB.
const esbuild = require('esbuild');
const compact = { minifyWhitespace: true, legalComments: 'none', charset: 'ascii' };
esbuild.buildSync({
  entryPoints: [require.resolve('kysely').replace(/cjs\/index\.js$/, 'esm/index.js')],
  bundle: true,
  format: 'esm',
  platform: 'node',
  outfile: join(dist, 'vendor/kysely.js'),
  logLevel: 'warning',
  ...compact,
});

// The configuration is the one user of zod (~95 ES modules, ~1.3 MB of sources kept in the heap):
// dist/config/index.js is rebuilt with zod inside it, one module. Its own code keeps its names and
// its source map (to src/config/index.ts); other packages stay imports.
const configEntry = join(dist, 'config/index.js');
esbuild.buildSync({
  entryPoints: [configEntry],
  bundle: true,
  format: 'esm',
  platform: 'node',
  external: Object.keys(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).dependencies).filter(
    (name) => name !== 'zod',
  ),
  outfile: configEntry,
  allowOverwrite: true,
  ...compact,
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
});
for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
  const file = join(entry.parentPath, entry.name);
  const text = readFileSync(file, 'utf8');
  if (!text.includes("from 'kysely'")) continue;
  const vendored = relative(entry.parentPath, join(dist, 'vendor/kysely.js')).replaceAll('\\', '/');
  writeFileSync(
    file,
    text.replaceAll("from 'kysely'", `from '${vendored.startsWith('.') ? vendored : `./${vendored}`}'`),
  );
}

const { bundleConsoleScript } = await import(join(dist, 'console/browser/bundle.js'));
writeFileSync(join(dist, 'console/browser/console.js'), bundleConsoleScript().code);

writeFileSync(stamp, `${new Date().toISOString()}\n`);
console.log(`latchkey build: ${relative(process.cwd(), dist) || '.'} ready`);
