import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startPinned } from '../../bench/harness/process.ts';

const dir = mkdtempSync(join(tmpdir(), 'latchkey-start-pinned-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the bench's start figure", { timeout: 30_000 }, () => {
  it('starts the server three times, reports the median, keeps the last one running and stops the others', async () => {
    const log = join(dir, 'starts.log');
    const server = join(dir, 'server.mjs');
    // Each start appends its pid; each stop (SIGTERM) appends a line too. The starts wait 0, 1 and
    // 2 s before listening: the median is the second's, at least 1 s and under 2 s, where the first
    // or the last start alone would be outside.
    writeFileSync(
      server,
      `import { appendFileSync, existsSync, readFileSync } from 'node:fs';
       import { createServer } from 'node:http';
       const log = ${JSON.stringify(log)};
       const earlier = existsSync(log) ? readFileSync(log, 'utf8').split('start ').length - 1 : 0;
       appendFileSync(log, 'start ' + process.pid + '\\n');
       process.on('SIGTERM', () => { appendFileSync(log, 'stop ' + process.pid + '\\n'); process.exit(0); });
       setTimeout(() => createServer((_, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1'), [0, 1000, 2000][earlier]);`,
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
      expect(started.startMs).toBeGreaterThanOrEqual(1000);
      expect(started.startMs).toBeLessThan(2000);
    } finally {
      started.child.kill('SIGTERM');
    }
  });
});
