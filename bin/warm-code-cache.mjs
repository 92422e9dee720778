#!/usr/bin/env node
// Writes the V8 code cache of the server bundle (bin/load-bundle.mjs) by starting the server once:
// SQLite in a temporary folder, port 0, on loopback. The build runs it (`npm ci`, `npm run build`),
// and so does the production image's last stage, whose Node may not be the build stage's.
//
// V8 takes a cache only under the flags it was made with, so this is a plain start (no NODE_OPTIONS:
// `npm start`, the image's command), and one more under this shell's NODE_OPTIONS when it has some,
// so that later starts from the same shell find theirs. The operator's LATCHKEY_* variables are left
// out. Optional: without a cache the first start compiles the bundle and writes it where dist/ is
// writable; this says so and exits 0.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeCacheFile } from './load-bundle.mjs';

const root = join(import.meta.dirname, '..');
const bundle = join(root, 'dist/bundle/latchkey.cjs');
const shellOptions = process.env.NODE_OPTIONS?.trim() ?? '';

for (const nodeOptions of shellOptions ? ['', shellOptions] : ['']) {
  const cache = codeCacheFile(bundle, { execArgv: [], nodeOptions });
  if (existsSync(cache)) continue; // a start checks that it is this bundle's, and replaces it if not
  const failure = await startOnce(cache, nodeOptions);
  if (failure) {
    console.warn(
      `latchkey: the V8 code cache${nodeOptions ? ` for NODE_OPTIONS=${nodeOptions}` : ''} was not written ` +
        `(${failure}); the first \`latchkey serve\` compiles the bundle and writes it`,
    );
  }
}

/** `latchkey serve` until it has written `cache`; why not, if it did not. */
async function startOnce(cache, nodeOptions) {
  const folder = mkdtempSync(join(tmpdir(), 'latchkey-warm-'));
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('LATCHKEY_')),
  );
  const server = spawn(process.execPath, [join(root, 'bin/latchkey.mjs'), 'serve'], {
    env: {
      ...env,
      NODE_OPTIONS: nodeOptions,
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: '0',
      LATCHKEY_DATABASE: join(folder, 'warm.sqlite'),
      LATCHKEY_LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  server.stderr.on('data', (chunk) => {
    errors += chunk;
  });
  const exited = new Promise((done) => server.once('exit', done));
  const deadline = Date.now() + 30_000;
  while (!existsSync(cache) && server.exitCode === null && Date.now() < deadline) {
    await new Promise((done) => setTimeout(done, 25));
  }
  server.kill('SIGTERM');
  await exited;
  rmSync(folder, { recursive: true, force: true });
  if (existsSync(cache)) return undefined;
  return errors.trim().split('\n').at(-1) || 'the server did not start in 30 s';
}
