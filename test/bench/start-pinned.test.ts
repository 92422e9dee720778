import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startPinned } from '../../bench/harness/process.ts';

const dir = mkdtempSync(join(tmpdir(), 'latchkey-start-pinned-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the bench's start figure", () => {
  it('starts the server three times, keeps the last one running and stops the others', async () => {
    const log = join(dir, 'starts.log');
    const server = join(dir, 'server.mjs');
    // Each start appends its pid; each stop (SIGTERM) appends a line too.
    writeFileSync(
      server,
      `import { appendFileSync } from 'node:fs';
       import { createServer } from 'node:http';
       appendFileSync(${JSON.stringify(log)}, 'start ' + process.pid + '\\n');
       process.on('SIGTERM', () => { appendFileSync(${JSON.stringify(log)}, 'stop ' + process.pid + '\\n'); process.exit(0); });
       createServer((_, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');`,
    );
    const port = await freePort();
    const started = await startPinned([process.execPath, server], {
      core: 0,
      env: { ...process.env, PORT: String(port) },
      probe: `http://127.0.0.1:${port}/`,
    });
    try {
      const lines = readFileSync(log, 'utf8').trim().split('\n');
      const starts = lines.filter((l) => l.startsWith('start ')).map((l) => Number(l.slice(6)));
      const stops = lines.filter((l) => l.startsWith('stop ')).map((l) => Number(l.slice(5)));
      expect(starts).toHaveLength(3);
      expect(stops).toEqual(starts.slice(0, 2));
      expect(started.child.pid).toBe(starts[2]);
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
      expect(started.startMs).toBeGreaterThan(0);
    } finally {
      started.child.kill('SIGTERM');
    }
  });
});
