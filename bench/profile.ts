/**
 * `npm run bench:profile -- --only cc-basic-form`: starts Latchkey from dist/ under `node --cpu-prof`
 * (pinned to core 1), loads one case with autocannon (core 0) for `--seconds`, stops the server (the
 * profile is written at exit) and prints where its CPU went: self time by function and by package.
 *
 *   node --import tsx bench/profile.ts [--only cc-basic-form] [--seconds 10] [--top 30] [--dir DIR]
 *     [--checkout DIR]   (another built checkout, e.g. main before a change: profiles before/after)
 *     [--postgres URL [--redis URL]]   (on a fresh PostgreSQL database there, with Redis if given)
 *   node --import tsx bench/profile.ts --summarise FILE.cpuprofile
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CaseId } from './harness/cases.ts';
import { startLatchkey } from './harness/latchkey.ts';
import { measure } from './harness/load.ts';

const { values: o } = parseArgs({
  options: {
    only: { type: 'string', default: 'cc-basic-form' },
    seconds: { type: 'string', default: '10' },
    top: { type: 'string', default: '30' },
    dir: { type: 'string' },
    checkout: { type: 'string' },
    postgres: { type: 'string' },
    redis: { type: 'string' },
    summarise: { type: 'string' },
    // Only samples from this many seconds after the profile began (e.g. to leave start-up out).
    from: { type: 'string', default: '0' },
  },
});

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a script lives: its npm package, node's internals, or Latchkey's own file. */
function owner(url: string): string {
  if (url === '') return '(native / GC / idle)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /\/dist\/(.+)$/.exec(url);
  return own ? `latchkey ${own[1]}` : url;
}

export function summarise(file: string, top: number, fromSeconds = 0): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let at = 0;
  for (let i = 0; i < p.samples.length; i++) {
    at += p.timeDeltas[i] ?? 0;
    if (at < fromSeconds * 1e6) continue;
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  // Shares of the time the process was busy: waiting in the event loop ("(idle)") is left out.
  for (const [id] of self) if (byId.get(id)!.callFrame.functionName === '(idle)') self.delete(id);
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fns = new Map<string, number>();
  const owners = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const where = owner(url);
    const name = `${functionName || '(anonymous)'}  ${where}${url ? `:${lineNumber + 1}` : ''}`;
    fns.set(name, (fns.get(name) ?? 0) + us);
    owners.set(where, (owners.get(where) ?? 0) + us);
  }
  // Inclusive: each sample counts once for every package and Latchkey function on its stack.
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const within = new Map<string, number>();
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const { functionName, url } = byId.get(n)!.callFrame;
      const where = owner(url);
      seen.add(where);
      if (where.startsWith('latchkey ')) seen.add(`${functionName || '(anonymous)'}  ${where}`);
    }
    for (const k of seen) within.set(k, (within.get(k) ?? 0) + us);
  }
  const table = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `${((us / total) * 100).toFixed(1).padStart(5)} %  ${k}`)
      .join('\n');
  return `${(total / 1e6).toFixed(1)} s busy (idle left out)\n\nself time by function\n${table(fns, top)}\n\nself time by package\n${table(owners, 20)}\n\ntime with it on the stack (inclusive)\n${table(within, top)}\n`;
}

if (o.summarise) {
  process.stdout.write(summarise(o.summarise, Number(o.top), Number(o.from)));
} else {
  execFileSync('taskset', ['-a', '-cp', '0', String(process.pid)], { stdio: 'ignore' });
  let from = 0;
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'latchkey-profile-'));
  const c = o.only as CaseId;
  const spawned = performance.now();
  const target = await startLatchkey({
    core: 1,
    tokens: 100,
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    ...(o.checkout && { checkout: o.checkout }),
    ...(o.postgres && { postgres: o.postgres }),
    ...(o.redis && { redisUrl: o.redis }),
  });
  try {
    // Enough codes / refresh tokens for the warm-up and the window at 15,000 req/s (an AMD EPYC ran
    // 12,000): a used-up supply would replay the last one, and the profile would show the replay path.
    const plan = await target.plan(c, (Number(o.seconds) + 1) * 15_000);
    if (!plan) throw new Error(`no plan for ${c}`);
    // The load's window only: start-up, seeding and warm-up are left out of the summary.
    from = (performance.now() - spawned) / 1000 + 1;
    const m = await measure(target.url, target.pid, plan, {
      connections: 50,
      seconds: Number(o.seconds),
      warmup: 1,
    });
    process.stdout.write(`${c}: ${Math.round(m.rps)} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms\n`);
  } finally {
    await target.close();
  }
  // The server is started three times (the start figure's median); the last start is the one loaded.
  const file = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort((a, b) => statSync(join(dir, a)).mtimeMs - statSync(join(dir, b)).mtimeMs)
    .at(-1);
  if (!file) throw new Error(`no profile written in ${dir}`);
  process.stdout.write(`${join(dir, file)}\n${summarise(join(dir, file), Number(o.top), from)}`);
}
