#!/usr/bin/env node
// Builds dist/ from src/: tsc (all of src/, source maps, SDK declarations), a copy of every file
// that is not TypeScript (stylesheets, scripts), and the console's browser bundle (esbuild).
// Runs at `npm ci` (prepare) and before `npm test`. Under `npm ci --omit=dev` TypeScript is absent:
// a dist/ built earlier (the production image copies it in) is kept, otherwise one clear line.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

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

buildNativeAddons();
await bundleServer();

const { bundleConsoleScript } = await import(join(dist, 'console/browser/bundle.js'));
writeFileSync(join(dist, 'console/browser/console.js'), bundleConsoleScript().code);

writeFileSync(stamp, `${new Date().toISOString()}\n`);
// The V8 code cache of the bundle, for `npm start` and the image (bin/load-bundle.mjs).
await import('../bin/warm-code-cache.mjs');
console.log(`latchkey build: ${relative(process.cwd(), dist) || '.'} ready`);

/**
 * The addons in native/, into dist/native/: es256.c, the ES256 signer (src/keys/es256.ts), and
 * accept.c, which accepts a burst of connections in one turn (src/http/accept-backlog.ts). Optional:
 * where they cannot be built the server signs through node:crypto, slower, accepts one connection
 * per turn as libuv does, and this says so. Built against Node's own headers (npm_config_nodedir,
 * else the ones installed beside this node), never downloaded; rebuilt only when their sources or
 * the Node version changed.
 */
function buildNativeAddons() {
  const folder = join(root, 'native');
  const addons = ['es256', 'accept'];
  const stampFile = join(folder, 'build/latchkey-stamp');
  const nodeRoot = join(dirname(process.execPath), '..');
  const nodedir =
    process.env.npm_config_nodedir ??
    (existsSync(join(nodeRoot, 'include/node/node_api.h')) ? nodeRoot : undefined);
  const npmGyp = process.env.npm_execpath
    ? join(dirname(process.env.npm_execpath), '../node_modules/node-gyp/bin/node-gyp.js')
    : undefined;
  const gyp = [
    process.env.npm_config_node_gyp,
    npmGyp,
    join(nodeRoot, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ].find((candidate) => candidate && existsSync(candidate));
  const without = {
    es256: 'tokens are signed through node:crypto, ~10-25 µs slower each',
    accept: 'a burst of new connections is accepted one per turn of the event loop',
  };
  const skip = (reason, names = addons) =>
    console.warn(
      `latchkey build: ${names.map((name) => `native/${name}.c`).join(' and ')} not built (${reason}): ` +
        `${names.map((name) => without[name]).join('; ')}. To build: python3, make and a C compiler, ` +
        'then `npm run build`.',
    );
  const sources = [...addons.map((name) => `${name}.c`), 'binding.gyp'];
  if (!sources.every((name) => existsSync(join(folder, name)))) return skip('native/ is incomplete');
  const stamp = `${process.version} ${process.arch}\n${sources.map((name) => readFileSync(join(folder, name), 'utf8')).join('\n')}`;
  const built = (name) => join(folder, `build/Release/${name}.node`);
  const upToDate =
    addons.every((name) => existsSync(built(name))) &&
    existsSync(stampFile) &&
    readFileSync(stampFile, 'utf8') === stamp;
  if (!upToDate) {
    if (!gyp) return skip("npm's node-gyp was not found");
    if (!nodedir) return skip("Node's headers were not found: set npm_config_nodedir");
    const result = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`], {
      cwd: folder,
      encoding: 'utf8',
      // make -k: an addon that fails to compile leaves the other one built.
      env: { ...process.env, MAKEFLAGS: `${process.env.MAKEFLAGS ?? ''} -k`.trim() },
    });
    if (result.status === 0) writeFileSync(stampFile, stamp);
    else
      console.warn(`${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n'));
  }
  // Each addon that built is used, even when the other failed (the next build tries again).
  mkdirSync(join(dist, 'native'), { recursive: true });
  const missing = addons.filter((name) => !existsSync(built(name)));
  for (const name of addons) {
    const target = join(dist, `native/${name}.node`);
    if (missing.includes(name)) rmSync(target, { force: true });
    else cpSync(built(name), target);
  }
  if (missing.length > 0) skip('node-gyp failed, above', missing);
}

/**
 * The server as one CommonJS script, dist/bundle/latchkey.cjs, which bin/latchkey.mjs runs with a V8
 * code cache (bin/load-bundle.mjs): resolving and loading ~900 files one by one (our modules, zod's
 * ~95, Fastify's and ajv's CommonJS) was the largest part of every start, and compiling the bundle
 * the largest after that. Packages with native addons or their own lazy loading stay outside
 * (`kept`); dist/ keeps the per-file build for the SDK exports and for tools. pino is inside: its
 * worker files serve only transports, which Latchkey does not use (it writes JSON lines itself).
 */
async function bundleServer() {
  const dynamicImport = /(?<!typeof\s*)\bimport\((['"])([^'"]+)\1\)/g;
  const isOutside = (specifier) =>
    specifier.startsWith('node:') ||
    kept.some((name) => specifier === name || specifier.startsWith(`${name}/`));
  // commander too: every CLI error's stack runs through it, and frames in the bundle's packages are
  // not mapped (see ownSourcesOnly): its frames keep naming node_modules/commander.
  // rate-limiter-flexible: its index loads limiters that import() their drivers (cluster workers only).
  const kept = [
    'better-sqlite3',
    '@node-rs/argon2',
    'pg',
    'ioredis',
    '@fastify/swagger',
    'commander',
    'rate-limiter-flexible',
  ];
  const outdir = join(dist, 'bundle');
  // What an ES module in src/ means that a CommonJS bundle says otherwise.
  const sourcesAsScript = {
    name: 'sources-as-script',
    setup(build) {
      build.onLoad({ filter: /[\\/]src[\\/].*\.tsx?$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url') && text.search(dynamicImport) === -1) return undefined;
        const compiled = relative(src, args.path)
          .replaceAll('\\', '/')
          .replace(/\.tsx?$/, '.js');
        return {
          contents: text
            // `import.meta.url` means the module's own place (assets next to it): the file tsc
            // wrote for that module, one folder up from the bundle.
            .replaceAll('import.meta.url', `new URL('../${compiled}', import.meta.url).href`)
            // import() of a package left outside the bundle: a script compiled by `vm` has no
            // import() on Node 20 but through an experimental loader. These packages are CommonJS
            // or built in; the namespace is what import() gives them (module.exports as `default`).
            .replace(dynamicImport, (call, quote, specifier) => {
              if (!isOutside(specifier)) return call; // bundled: esbuild turns it into a lazy require
              return `Promise.resolve().then(() => latchkeyNamespace(require(${quote}${specifier}${quote})))`;
            }),
          loader: args.path.endsWith('x') ? 'tsx' : 'ts',
        };
      });
    },
  };
  // zod's barrel re-exports its ~50 locales (~300 KB bundled) as `z.locales`; the config module
  // never uses them and zod registers English itself (classic/schemas.js imports locales/en.js).
  const zodEnglishOnly = {
    name: 'zod-english-only',
    setup(build) {
      build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
        /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
          ? { path: join(dirname(args.importer), args.path), namespace: 'zod-locales' }
          : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
        contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};`,
        resolveDir: dirname(args.path),
      }));
    },
  };
  const result = await esbuild.build({
    entryPoints: { latchkey: join(src, 'cli.ts') },
    bundle: true,
    // CommonJS, one file: bin/latchkey.mjs compiles it with a V8 code cache (bin/load-bundle.mjs),
    // which Node 20 offers for scripts but not for ES modules.
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    outfile: join(outdir, 'latchkey.cjs'),
    external: [...kept, ...kept.map((name) => `${name}/*`)],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    // `import.meta.url` of the bundle itself (sourcesAsScript points each use at its own file).
    define: { 'import.meta.url': 'latchkeyBundleUrl' },
    banner: {
      js:
        "const latchkeyBundleUrl = require('node:url').pathToFileURL(__filename).href;\n" +
        "const latchkeyNamespace = (m) => new Proxy(m, { get: (target, key) => (key === 'default' ? target : target[key]) });",
    },
    // Names stay; comments and line breaks go (V8 keeps every module's source in its heap).
    minifyWhitespace: true,
    legalComments: 'none',
    charset: 'ascii',
    sourcemap: 'linked',
    sourcesContent: false,
    plugins: [sourcesAsScript, zodEnglishOnly],
    write: false,
    logLevel: 'warning',
  });
  for (const file of result.outputFiles) {
    if (file.path.endsWith('.cjs') && /\bimport\(/.test(file.text)) {
      throw new Error(
        `${relative(root, file.path)} calls import(), which bin/load-bundle.mjs cannot run ` +
          "(sourcesAsScript turns only src/'s import() of a package in `kept` into require())",
      );
    }
    const text = file.path.endsWith('.map')
      ? JSON.stringify(ownSourcesOnly(JSON.parse(file.text)))
      : file.text;
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, text);
  }
}

/**
 * Node parses a module's whole source map when it loads (process.setSourceMapsEnabled): the packages'
 * mappings were ~3.5 MB of idle heap, for stack frames inside node_modules. The map keeps src/ only:
 * a frame inside a bundled package names dist/bundle/latchkey.js:line:column instead.
 */
function ownSourcesOnly(map) {
  const keep = map.sources.map((source) => !source.includes('node_modules'));
  const renumber = [];
  const sources = [];
  map.sources.forEach((source, i) => {
    if (keep[i]) renumber[i] = sources.push(source) - 1;
  });
  const state = [0, 0, 0]; // source, line, column: relative across the whole map
  const written = [0, 0, 0];
  const lines = map.mappings.split(';').map((line) => {
    let column = 0;
    let writtenColumn = 0;
    const out = [];
    for (const segment of line ? line.split(',') : []) {
      const fields = decodeVlq(segment);
      column += fields[0];
      if (fields.length < 4) continue;
      state[0] += fields[1];
      state[1] += fields[2];
      state[2] += fields[3];
      if (!keep[state[0]]) continue;
      const source = renumber[state[0]];
      out.push(
        encodeVlq([
          column - writtenColumn,
          source - written[0],
          state[1] - written[1],
          state[2] - written[2],
        ]),
      );
      writtenColumn = column;
      written[0] = source;
      written[1] = state[1];
      written[2] = state[2];
    }
    return out.join(',');
  });
  return { version: 3, sources, names: [], mappings: lines.join(';') };
}

/** Source map v3 numbers: base64 VLQ, sign in the lowest bit. */
function decodeVlq(segment) {
  const base64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const values = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = base64.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

function encodeVlq(values) {
  const base64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let text = '';
  for (const v of values) {
    let rest = v < 0 ? (-v << 1) | 1 : v << 1;
    do {
      let digit = rest & 31;
      rest >>>= 5;
      if (rest > 0) digit |= 32;
      text += base64[digit];
    } while (rest > 0);
  }
  return text;
}
