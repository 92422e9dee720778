import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: the bin is plain JavaScript, without declarations
import { codeCacheFile } from '../../bin/load-bundle.mjs';
import { assertBuilt, root, seededClient, serveCopy } from '../helpers/dist.ts';
import { freshPostgres } from '../helpers/postgres.ts';

// bin/load-bundle.mjs compiles dist/bundle/latchkey.cjs with a V8 code cache beside it. These tests
// run a copy of bin/ and dist/ (the cache is rewritten and broken here, never in the real dist/).
const dir = mkdtempSync(join(tmpdir(), 'latchkey-code-cache-'));
const bundle = join(dir, 'dist/bundle/latchkey.cjs');
// The cache a plain start looks for (the children below get no Node options).
const plainStart = { execArgv: [], nodeOptions: '' };
const cache = codeCacheFile(bundle, plainStart);
const run = promisify(execFile);
const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest();

beforeAll(() => {
  assertBuilt();
  for (const path of ['package.json', 'bin', 'dist'])
    cpSync(join(root, path), join(dir, path), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const serve = (env: Record<string, string>) => serveCopy(dir, { NODE_OPTIONS: '', ...env });

/** What one start (stopped once it listens) did with the code cache, by its listening line. */
async function codeCacheOfAStart(env: Record<string, string>) {
  const server = await serveCopy(dir, env);
  await server.stop();
  return server.codeCache;
}

/** Whether a cache file was made from `source` (its first 32 bytes are the bundle's SHA-256). */
const madeFrom = (cacheFile: string, source = bundle) =>
  readFileSync(cacheFile)
    .subarray(0, 32)
    .equals(sha256(readFileSync(source)));

/** A client_credentials token from the seeded demo client, and a call of the API with it. */
async function tokenAndApiCall(url: string, output: string) {
  const { clientId, clientSecret } = seededClient(output);
  const token = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  expect(token.status).toBe(200);
  const { access_token } = (await token.json()) as { access_token: string };
  const me = await fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${access_token}` } });
  expect(me.status).toBe(200);
}

describe('the V8 code cache of the server bundle', { timeout: 60_000 }, () => {
  it('is left by the build, made from the bundle the build wrote', () => {
    const source = join(root, 'dist/bundle/latchkey.cjs');
    const built = codeCacheFile(source, plainStart);
    expect(madeFrom(built, source)).toBe(true);
    expect(readFileSync(built).length).toBeGreaterThan(100_000);
  });

  it('stays out of the npm package: a cache fits one Node build and set of flags, so each install makes its own', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root,
      env: { ...process.env, npm_config_update_notifier: 'false' },
    });
    const [{ files }] = JSON.parse(stdout) as [{ files: { path: string }[] }];
    const paths = files.map((f) => f.path);
    expect(paths).toContain('dist/bundle/latchkey.cjs');
    expect(readdirSync(join(root, 'dist/bundle')).some((f) => f.endsWith('.cache'))).toBe(true);
    expect(paths.filter((p) => p.endsWith('.cache'))).toEqual([]);
  });

  it('is taken by a start and left as it was; packages outside the bundle still load on first use', async () => {
    const before = readFileSync(cache);
    // A fresh store: seeding hashes a password with @node-rs/argon2, imported on first use.
    const server = await serve({ LATCHKEY_DATABASE: join(dir, 'used.sqlite') });
    try {
      expect(server.codeCache).toBe('used');
      await tokenAndApiCall(server.url, server.output());
      // The admin API's OpenAPI document loads @fastify/swagger on its first request.
      const openapi = await fetch(`${server.url}/admin/v1/openapi.json`);
      expect(openapi.status).toBe(200);
      expect(((await openapi.json()) as { openapi: string }).openapi).toBe('3.1.0');
    } finally {
      await server.stop();
    }
    expect(readFileSync(cache).equals(before)).toBe(true);
  });

  it('loads pg on first use under the cache (a PostgreSQL store)', async () => {
    const database = await freshPostgres();
    if (!database) throw new Error('PostgreSQL does not answer (LATCHKEY_TEST_POSTGRES)');
    const server = await serve({ LATCHKEY_DATABASE: database.url });
    try {
      expect(server.codeCache).toBe('used');
      await tokenAndApiCall(server.url, server.output());
    } finally {
      await server.stop();
      await database.drop();
    }
  });

  it('is one per set of Node options: a start under others neither takes nor replaces the plain one', async () => {
    const before = readFileSync(cache);
    const options = '--max-semi-space-size=32';
    const other = codeCacheFile(bundle, { execArgv: [], nodeOptions: options });
    // Another test file may have started the real dist/ under these options before it was copied.
    rmSync(other, { force: true });
    const env = { NODE_OPTIONS: options, LATCHKEY_DATABASE: join(dir, 'options.sqlite') };
    expect(await codeCacheOfAStart(env)).toBe('compiled and saved');
    expect(await codeCacheOfAStart(env)).toBe('used');
    expect(madeFrom(other)).toBe(true);
    expect(readFileSync(cache).equals(before)).toBe(true);
  });

  it("is written by bin/warm-code-cache.mjs (the image's last stage), plain and for this shell's NODE_OPTIONS", async () => {
    const options = '--max-old-space-size=300';
    const forOptions = codeCacheFile(bundle, { execArgv: [], nodeOptions: options });
    for (const file of readdirSync(join(dir, 'dist/bundle'))) {
      if (file.endsWith('.cache')) rmSync(join(dir, 'dist/bundle', file));
    }
    await run(process.execPath, ['bin/warm-code-cache.mjs'], {
      cwd: dir,
      env: { ...process.env, NODE_OPTIONS: options },
    });
    expect(madeFrom(cache)).toBe(true);
    expect(madeFrom(forOptions)).toBe(true);
    const database = join(dir, 'warmed.sqlite');
    expect(await codeCacheOfAStart({ NODE_OPTIONS: '', LATCHKEY_DATABASE: database })).toBe('used');
    expect(await codeCacheOfAStart({ NODE_OPTIONS: options, LATCHKEY_DATABASE: database })).toBe('used');
  });

  it('is not used under --enable-source-maps, where Node loads the bundle and maps the frames', async () => {
    const server = await serveCopy(dir, {
      NODE_OPTIONS: '--enable-source-maps',
      LATCHKEY_DATABASE: join(dir, 'source-maps.sqlite'),
    });
    try {
      expect(server.codeCache).toBe('compiled');
      await tokenAndApiCall(server.url, server.output());
    } finally {
      await server.stop();
    }
  });

  it('made for another bundle is never handed to V8, and is replaced by one for this bundle', async () => {
    // V8 checks only the source's length: a cache of the same size for other code must be refused
    // by the digest. Here the V8 data is valid, the digest another bundle's.
    const valid = readFileSync(cache);
    writeFileSync(cache, Buffer.concat([sha256('another bundle'), valid.subarray(32)]));
    const server = await serve({ LATCHKEY_DATABASE: join(dir, 'replaced.sqlite') });
    try {
      expect(server.codeCache).toBe('compiled and saved');
      await tokenAndApiCall(server.url, server.output());
    } finally {
      await server.stop();
    }
    expect(madeFrom(cache)).toBe(true);
    expect(
      await codeCacheOfAStart({ NODE_OPTIONS: '', LATCHKEY_DATABASE: join(dir, 'replaced.sqlite') }),
    ).toBe('used');
  });

  it('that cannot be written leaves the server working and says so', async () => {
    rmSync(cache);
    mkdirSync(cache); // where the file would go: the write fails as on a read-only dist/
    try {
      const server = await serve({ LATCHKEY_DATABASE: join(dir, 'unwritable.sqlite') });
      try {
        expect(server.codeCache).toMatch(/^compiled; not saved \(EISDIR\)/);
        await tokenAndApiCall(server.url, server.output());
      } finally {
        await server.stop();
      }
    } finally {
      rmSync(cache, { recursive: true });
    }
  });
});
