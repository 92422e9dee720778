import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** A free loopback port: bind port 0, read it, release it (the server then binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface Started {
  child: ChildProcess;
  /** Spawn to first successful answer of `probe`, in ms. */
  startMs: number;
  stdout: () => string;
}

/**
 * Spawns `argv` pinned to `core` with taskset (when the machine has it) and waits until `probe`
 * answers 2xx, polling every 10 ms. It does so `starts` times (default 3), stopping each start but
 * the last once it answers, and reports the median: on a shared machine one start moves by a
 * fifth of the start-up target between runs.
 */
export async function startPinned(
  argv: string[],
  opts: { core: number; env: NodeJS.ProcessEnv; probe: string; ipc?: boolean; cwd?: string; starts?: number },
): Promise<Started> {
  const times: number[] = [];
  for (;;) {
    const started = await startOnce(argv, opts);
    times.push(started.startMs);
    if (times.length >= (opts.starts ?? 3)) {
      const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
      return { ...started, startMs: median };
    }
    await stop(started.child);
  }
}

async function startOnce(
  argv: string[],
  opts: { core: number; env: NodeJS.ProcessEnv; probe: string; ipc?: boolean; cwd?: string },
): Promise<Started> {
  const t0 = performance.now();
  const child = spawn('taskset', ['-c', String(opts.core), ...argv], {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'inherit', ...(opts.ipc ? (['ipc'] as const) : [])],
  });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `${argv.join(' ')} exited (${code ?? signal})`;
  });
  for (;;) {
    if (exited) throw new Error(`${exited}\n${out}`);
    const ok = await fetch(opts.probe).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { child, startMs: performance.now() - t0, stdout: () => out };
    if (performance.now() - t0 > 60_000) throw new Error(`${argv.join(' ')} did not answer in 60 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function status(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The process and its descendants (a server with workers is several processes). */
function tree(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {}
  return [pid, ...children.flatMap(tree)];
}

const ticksPerSecond = 100; // USER_HZ on Linux

/** CPU time (user + system) the process tree has used so far, in µs: what machine load does not inflate. */
export function cpuMicros(pid: number): number {
  return tree(pid).reduce((sum, p) => {
    try {
      // Fields 14 and 15 of /proc/PID/stat (after the parenthesised name) are utime and stime in ticks.
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return sum + ((Number(f[11]) + Number(f[12])) * 1e6) / ticksPerSecond;
    } catch {
      return sum;
    }
  }, 0);
}
/** Resident memory of the process tree, in bytes. */
export const rss = (pid: number): number => tree(pid).reduce((sum, p) => sum + status(p, 'VmRSS'), 0);

/** Lifetime peak resident memory (VmHWM) of the tree, summed over its processes. */
export const peakRss = (pid: number): number => tree(pid).reduce((sum, p) => sum + status(p, 'VmHWM'), 0);

/** Samples `rss(pid)` every `ms` until stopped; returns the highest sample. */
export function sampleRss(pid: number, ms = 100): () => number {
  let max = rss(pid);
  const timer = setInterval(() => {
    max = Math.max(max, rss(pid));
  }, ms);
  return () => {
    clearInterval(timer);
    return Math.max(max, rss(pid));
  };
}

export function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}
