// The compiled server keeps V8's young generation at 16 MB at most under load (src/server.ts
// `releaseYoungGeneration`), unless the operator passes young-generation flags of their own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededClient, serveBuilt } from '../helpers/dist.ts';
import { freePort, requestToken } from '../helpers/latchkey.ts';

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
    // generation to 32 MB, past the 16 MB cap.
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

describe('memory under load (compiled server)', () => {
  it('keeps the young generation at 16 MB at most; an operator’s own young-generation flags turn that off', async () => {
    const mb = 1024 * 1024;
    expect(await youngGenerationUnderLoad('capped', '')).toBeLessThanOrEqual(16 * mb);
    expect(await youngGenerationUnderLoad('operator', '--max-semi-space-size=32')).toBeGreaterThan(16 * mb);
  }, 120_000);
});
