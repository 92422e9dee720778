// Runs the server bundle (dist/bundle/latchkey.cjs, one CommonJS script) compiled with the V8 code
// cache kept beside it: V8 then reads the bytecode of every function a start used instead of
// compiling the ~2 MB source, which was most of a start after Node's own bootstrap (bench/README.md,
// "Twelfth round"). Node 22 has module.enableCompileCache(); Node 20 has only vm.Script's cachedData,
// hence a script, and this runs the same on 20, 22 and 24.
//
// - A start without a usable cache writes one once the server listens (src/server.ts calls `save` of
//   the state under `latchkey.codeCache`): it then holds what a whole start compiled, and V8's flags
//   are still those the next start compiles under (V8 refuses a cache made under other flags).
// - V8 checks its version and flags, but of the source only its length: the file starts with the
//   SHA-256 of the bundle it was made from, and a cache for another bundle is never handed to V8.
// - The script has no import(): scripts compiled by `vm` get it on Node 20 only through an
//   experimental loader, so the build turns import() into require() and refuses a bundle with any.
// - Stack frames in the bundle are mapped to src/, as Node does for what its own loader compiled.
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire, SourceMap } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';

const codeCache = Symbol.for('latchkey.codeCache');
const digestLength = 32;

export function loadBundle(file) {
  // With --enable-source-maps, Node's own loader and source-map support, and a slower start.
  if (process.sourceMapsEnabled) {
    globalThis[codeCache] = { used: false };
    return createRequire(import.meta.url)(file);
  }
  const source = readFileSync(file, 'utf8');
  const cacheFile = codeCacheFile(file);
  const digest = createHash('sha256').update(source).digest();
  const cachedData = readCache(cacheFile, digest);
  // CommonJS's own wrapper, written out: Module.wrap is not a documented API.
  const wrapped = `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;
  const script = new vm.Script(wrapped, { filename: file, cachedData });
  const used = cachedData !== undefined && !script.cachedDataRejected;
  globalThis[codeCache] = { used, save: used ? undefined : () => writeCache(cacheFile, digest, script) };
  mapStackFrames(file);
  const module = { exports: {}, filename: file, id: file, loaded: false };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
}

/**
 * One cache per Node version and set of Node options (which decide V8's flags, the bin's own
 * included): a start under other flags, such as NODE_OPTIONS=--max-old-space-size, would otherwise
 * replace the cache every plain start takes, and the next plain start would replace it back.
 */
export function codeCacheFile(
  file,
  { execArgv = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? '' } = {},
) {
  const runtime = [process.version, process.arch, ...execArgv, nodeOptions].join('\n');
  return `${file}.${createHash('sha256').update(runtime).digest('hex').slice(0, 12)}.cache`;
}

function readCache(cacheFile, digest) {
  let bytes;
  try {
    bytes = readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  const matches = bytes.length > digestLength && bytes.subarray(0, digestLength).equals(digest);
  return matches ? bytes.subarray(digestLength) : undefined;
}

/**
 * Best effort: where dist/ is read-only (an image run as another user) each start compiles anew.
 * Returns why it was not written, or undefined.
 */
function writeCache(cacheFile, digest, script) {
  const temporary = `${cacheFile}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, Buffer.concat([digest, script.createCachedData()]));
    renameSync(temporary, cacheFile); // whole or not at all, for workers starting side by side
    return undefined;
  } catch (error) {
    rmSync(temporary, { force: true });
    return error.code ?? error.message;
  }
}

/**
 * Node maps stack frames through source maps only for modules its own loader compiled, so frames in
 * the bundle are mapped here: V8's own text for each frame, with the bundle's line and column
 * replaced by the src/ file's. The map (~270 KB, ~50 ms to parse) is read when a stack is first
 * formatted, not at start. Frames elsewhere (Node, packages outside the bundle) are left as V8 wrote them.
 */
function mapStackFrames(file) {
  let map;
  const source = (frame) => {
    map ??= readSourceMap(file);
    const line = frame.getLineNumber();
    const column = frame.getColumnNumber();
    const entry = map?.findEntry(line - 1, column - 1);
    if (!entry?.originalSource) return undefined;
    const path = fileURLToPath(new URL(entry.originalSource, pathToFileURL(file)));
    return {
      bundled: `${file}:${line}:${column}`,
      mapped: `${path}:${entry.originalLine + 1}:${entry.originalColumn + 1}`,
    };
  };
  Error.prepareStackTrace = (error, frames) => {
    const lines = frames.map((frame) => {
      const text = String(frame);
      const place = frame.getFileName() === file ? source(frame) : undefined;
      return `\n    at ${place ? text.replace(place.bundled, place.mapped) : text}`;
    });
    return `${describe(error)}${lines.join('')}`;
  };
}

function readSourceMap(file) {
  try {
    return new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
  } catch {
    return null; // no map: frames keep naming the bundle
  }
}

/** The stack's first line, as V8 writes it. */
function describe(error) {
  try {
    return Error.prototype.toString.call(error);
  } catch {
    return '<error>';
  }
}
