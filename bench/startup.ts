/**
 * Start-up: from spawning `latchkey serve` to the first answered request (GET /healthz, polled every
 * 5 ms), the CPU time the process spent until then (user + system: what load on a shared machine
 * does not inflate), then the resident memory of the idle process 2 s later. Alternates between the bins given,
 * so machine load falls on each alike; a warm-up start per bin migrates and seeds its database.
 *
 *   node --import tsx bench/startup.ts [--runs 5] [--core N] [--bin bin/latchkey.mjs]...
 *   e.g. --bin /path/to/old-checkout/bin/latchkey.mjs --bin bin/latchkey.mjs   (before, after)
 *   --core 1 pins each server to that core with taskset, as `npm run bench` starts them (V8's helper
 *   threads then share the server's core).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    bin: { type: 'string', multiple: true },
    core: { type: 'string' },
  },
});
const runs = Number(values.runs);
const bins = (values.bin ?? [join(import.meta.dirname, '../bin/latchkey.mjs')]).map((b) => resolve(b));
const dir = mkdtempSync(join(tmpdir(), 'latchkey-startup-'));

const freePort = () =>
  new Promise<number>((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });

const rssMiB = (pid: number): number => {
  const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;
  return Number(kib) / 1024;
};

/** User + system CPU time of a process so far, from /proc (clock ticks of 10 ms). */
const cpuMs = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

async function once(bin: string, db: string): Promise<{ ms: number; cpu: number; rss: number }> {
  const port = await freePort();
  const started = performance.now();
  const command = [process.execPath, bin, 'serve'];
  const [file, ...args] = values.core === undefined ? command : ['taskset', '-c', values.core, ...command];
  const child = spawn(file!, args, {
    cwd: join(dirname(bin), '..'),
    env: { ...process.env, PORT: String(port), LATCHKEY_DATABASE: db, LATCHKEY_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  const exited = new Promise((r) => child.once('exit', r));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${bin} exited ${child.exitCode}`);
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const ms = performance.now() - started;
    const cpu = cpuMs(child.pid!);
    await new Promise((r) => setTimeout(r, 2000));
    return { ms, cpu, rss: rssMiB(child.pid!) };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results = bins.map(() => ({ ms: [] as number[], cpu: [] as number[], rss: [] as number[] }));
try {
  for (const [i, bin] of bins.entries()) await once(bin, join(dir, `${i}.sqlite`)); // migrate + seed
  for (let run = 0; run < runs; run++) {
    for (const [i, bin] of bins.entries()) {
      const r = await once(bin, join(dir, `${i}.sqlite`));
      results[i]!.ms.push(r.ms);
      results[i]!.cpu.push(r.cpu);
      results[i]!.rss.push(r.rss);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log('| bin | first request ms (median, min–max) | CPU ms until then | idle RSS MiB |');
console.log('| --- | ---: | ---: | ---: |');
for (const [i, bin] of bins.entries()) {
  const { ms, cpu, rss } = results[i]!;
  const range = `${Math.round(Math.min(...ms))}–${Math.round(Math.max(...ms))}`;
  console.log(
    `| ${bin} | ${Math.round(median(ms))} (${range}) | ${median(cpu)} | ${median(rss).toFixed(1)} |`,
  );
}
