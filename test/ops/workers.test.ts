import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededClient, serveBuilt } from '../helpers/dist.ts';
import { freePort, requestToken } from '../helpers/latchkey.ts';

const dir = mkdtempSync(join(tmpdir(), 'latchkey-workers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const listeningPids = (out: string): number[] =>
  out
    .split('\n')
    .filter((line) => line.includes('"msg":"latchkey listening"'))
    .map((line) => JSON.parse(line).pid);

describe('latchkey serve --workers 2', () => {
  it('serves one port from two processes, replaces a worker that dies, and drains on SIGTERM', async () => {
    const port = await freePort();
    const { child, output, waitFor } = serveBuilt(
      { PORT: String(port), LATCHKEY_DATABASE: join(dir, 'workers.sqlite'), LATCHKEY_LOG_LEVEL: 'info' },
      ['--workers', '2'],
    );
    try {
      let out = await waitFor(/"msg":"latchkey listening"/, 2);
      const workers = listeningPids(out);
      expect(new Set(workers).size).toBe(2);
      expect(workers).not.toContain(child.pid);
      // The development seed ran once, in the primary.
      expect(out.match(/client_secret {3}/g)).toHaveLength(1);

      const client = seededClient(out);
      const token = () => requestToken(`http://127.0.0.1:${port}`, client, { auth: 'basic' });
      for (let i = 0; i < 6; i++) expect((await token()).status).toBe(200);

      // A worker killed outright is replaced; the port keeps answering.
      process.kill(workers[0]!, 'SIGKILL');
      out = await waitFor(/"msg":"latchkey listening"/, 3);
      expect(out).toContain('worker died; restarting');
      expect(new Set(listeningPids(out)).size).toBe(3);
      expect((await token()).status).toBe(200);

      child.kill('SIGTERM');
      expect(await new Promise((r) => child.once('exit', r))).toBe(0);
      expect(output().match(/"msg":"shutting down"/g)).toHaveLength(2);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 90_000);
});
