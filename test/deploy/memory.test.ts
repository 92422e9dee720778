// Under the image's NODE_OPTIONS (the Dockerfile; the systemd unit has the same), the compiled server
// keeps V8's young generation at 16 MB at most under load, and loads at start only what serving needs
// (docs/deploy.md, "Memory").

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { root, seededClient, serveBuilt } from '../helpers/dist.ts';
import { freePort, requestToken } from '../helpers/latchkey.ts';
import { parseDockerfile } from './dockerfile.ts';

const dir = mkdtempSync(join(tmpdir(), 'latchkey-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts `latchkey serve` on a fresh development store, loads its token endpoint, and reads /metrics. */
async function youngGenerationUnderLoad(name: string, nodeOptions: string): Promise<number> {
  const port = await freePort();
  const { child, waitFor } = serveBuilt({
    PORT: String(port),
    LATCHKEY_DATABASE: join(dir, `${name}.sqlite`),
    NODE_OPTIONS: nodeOptions,
    LATCHKEY_TOKEN_RATE_LIMIT: '100000000/minute',
  });
  try {
    const out = await waitFor(/latchkey listening/);
    const client = seededClient(out);
    const request = () =>
      requestToken(`http://127.0.0.1:${port}`, client, { auth: 'basic' }).then((r) => r.arrayBuffer());
    // 300 at a time: enough requests in flight (surviving scavenges) for V8 to grow an uncapped young
    // generation past 16 MB (to 32 MB on Node 20).
    for (let round = 0; round < 40; round++) await Promise.all(Array.from({ length: 300 }, request));
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const young = /nodejs_heap_space_size_total_bytes\{space="new"\} (\d+)/.exec(metrics);
    expect(young).not.toBeNull();
    return Number(young![1]);
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }
}

const image = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8')).stages.at(-1)!;

describe('memory under load (compiled server)', () => {
  it("keeps the young generation at 16 MB at most under the image's NODE_OPTIONS", async () => {
    const mb = 1024 * 1024;
    const options = image.env.NODE_OPTIONS ?? '';
    expect(await youngGenerationUnderLoad('image', options)).toBeLessThanOrEqual(16 * mb);
  }, 120_000);
});

// Loaded before the server (NODE_OPTIONS=--import): records every module it loads, and at exit writes
// them with Node's own modules (process.moduleLoadList) to LATCHKEY_TEST_LOADED.
const recorder = `
import module from 'node:module';
import { writeFileSync } from 'node:fs';
const urls = [];
module.registerHooks({ load: (url, context, next) => (urls.push(url), next(url, context)) });
process.on('exit', () =>
  writeFileSync(process.env.LATCHKEY_TEST_LOADED, JSON.stringify({ urls, builtins: process.moduleLoadList })));
`;

/** What `latchkey serve` (with `env`) has loaded once it listens: module URLs and Node's own modules. */
async function loadedAtStart(
  name: string,
  env: NodeJS.ProcessEnv,
): Promise<{ urls: string[]; builtins: string[] }> {
  const hook = join(dir, 'record-loads.mjs');
  writeFileSync(hook, recorder);
  const out = join(dir, `${name}-loaded.json`);
  const { child, waitFor } = serveBuilt({
    ...env,
    PORT: String(await freePort()),
    LATCHKEY_DATABASE: join(dir, `${name}.sqlite`),
    NODE_OPTIONS: `--import ${pathToFileURL(hook).href}`,
    LATCHKEY_TEST_LOADED: out,
  });
  try {
    await waitFor(/latchkey listening/);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  return JSON.parse(readFileSync(out, 'utf8'));
}

const fromPackage = (urls: string[], name: string) => urls.some((u) => u.includes(`/node_modules/${name}/`));
// Node's fetch implementation: `import … from 'node:http'` reads http.WebSocket, whose getter loads it.
const undici = 'NativeModule internal/deps/undici/undici';

// module.registerHooks: Node 22.15 and later (CI runs Node 24).
describe.runIf('registerHooks' in module)('modules loaded at start (compiled server)', () => {
  it("loads neither openid-client nor Node's fetch implementation (undici) when nothing asks for them", async () => {
    const { urls, builtins } = await loadedAtStart('plain', {});
    expect(fromPackage(urls, 'fastify')).toBe(true);
    expect(fromPackage(urls, 'openid-client')).toBe(false);
    expect(builtins).not.toContain(undici);
  }, 60_000);

  it("loads openid-client where sign-in through the platform's provider is set", async () => {
    const { urls } = await loadedAtStart('configured', {
      LATCHKEY_LOGIN_OIDC_ISSUER: 'http://localhost:9/',
      LATCHKEY_LOGIN_OIDC_CLIENT_ID: 'latchkey',
      LATCHKEY_LOGIN_OIDC_CLIENT_SECRET: 'secret',
    });
    expect(fromPackage(urls, 'openid-client')).toBe(true);
  }, 60_000);
});
