import { execFile } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, root, serveCopy } from '../helpers/dist.ts';

// The production image copies a built dist/ in and runs `npm ci --omit=dev`: no TypeScript, tsx or
// esbuild. A real `npm ci` here rebuilds better-sqlite3 from source (over a minute), so this test
// builds the same tree from what is installed: the package's files, plus node_modules holding only
// the packages package-lock.json does not mark as dev. Then it runs the install's `prepare` step
// and the server exactly as the image would.
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'latchkey-production-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Top-level packages `npm ci --omit=dev` installs, per package-lock.json. */
function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(([path, p]) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path) && p.dev !== true)
    .map(([path]) => path.slice('node_modules/'.length));
}

const prepare = () =>
  run('npm', ['run', 'prepare'], {
    cwd: dir,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  }).then(
    (r) => ({ ...r, code: 0 }),
    (e: { stdout: string; stderr: string; code: number }) => e,
  );

beforeAll(() => {
  assertBuilt();
  for (const path of ['package.json', 'package-lock.json', 'bin', 'scripts', 'dist']) {
    cpSync(join(root, path), join(dir, path), { recursive: true });
  }
  for (const name of productionPackages()) {
    const installed = join(root, 'node_modules', name);
    if (!existsSync(installed)) continue; // an optional package for another platform
    mkdirSync(dirname(join(dir, 'node_modules', name)), { recursive: true });
    symlinkSync(installed, join(dir, 'node_modules', name));
  }
});

/** `latchkey serve` from the copy, as the image runs it, on a fresh SQLite file. */
const serveCopyOn = (database: string) => serveCopy(dir, { LATCHKEY_DATABASE: join(dir, database) });

describe('a production install (npm ci --omit=dev on a built dist/)', { timeout: 60_000 }, () => {
  it('has none of the build tools', () => {
    for (const tool of ['typescript', 'tsx', 'esbuild']) {
      expect(existsSync(join(dir, 'node_modules', tool)), tool).toBe(false);
    }
  });

  it("keeps the built dist/ in the install's prepare step", async () => {
    const r = await prepare();
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('using the dist/ already built');
  });

  it('serves from dist/: ready, and the console script is the prebuilt bundle', async () => {
    const server = await serveCopyOn('prod.sqlite');
    try {
      const ready = await fetch(`${server.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready' });
      const script = await fetch(`${server.url}/assets/console.js`);
      expect(script.status).toBe(200);
      const served = Buffer.from(await script.arrayBuffer());
      expect(served.equals(readFileSync(join(dir, 'dist/console/browser/console.js')))).toBe(true);
    } finally {
      await server.stop();
    }
    expect(server.output()).not.toMatch(/Cannot find (module|package)/);
  });

  it('issues tokens whose ES256 signatures verify', async () => {
    const server = await serveCopyOn('tokens.sqlite');
    try {
      // The development seed prints its demo client once (src/seed.ts).
      const id = /client_id\s+(\S+)/.exec(server.output())![1]!;
      const secret = /client_secret\s+(\S+)/.exec(server.output())![1]!;
      const res = await fetch(`${server.url}/oauth/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      expect(res.status).toBe(200);
      const { access_token } = await res.json();
      const { keys } = await (await fetch(`${server.url}/.well-known/jwks.json`)).json();
      const [input, signature] = [access_token.split('.').slice(0, 2).join('.'), access_token.split('.')[2]];
      const key = createPublicKey({ key: keys[0], format: 'jwk' });
      expect(
        verify(
          'sha256',
          Buffer.from(input),
          { key, dsaEncoding: 'ieee-p1363' },
          Buffer.from(signature, 'base64url'),
        ),
      ).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('fails the prepare step with one clear line when there is no dist/ to keep', async () => {
    rmSync(join(dir, 'dist'), { recursive: true });
    const r = await prepare();
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('dist/ is not built and TypeScript is not installed to build it');
  });
});
