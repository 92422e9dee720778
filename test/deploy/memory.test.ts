// Under the image's NODE_OPTIONS (the Dockerfile; the systemd unit has the same), the compiled server
// keeps V8's young generation at 16 MB at most under load (docs/deploy.md, "Memory").
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
