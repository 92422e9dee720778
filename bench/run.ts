/**
 * `npm run bench`: Latchkey (SQLite, one process), node-oidc-provider 9 and bare Fastify, measured
 * alternating in one run — every case runs each server in turn, for K rounds, so drift of this shared
 * machine hits all of them alike. Each server is its own process pinned to core 1; this process
 * (autocannon, 50 connections) is pinned to core 0. Prints the tables and writes bench/README.md.
 *
 *   node --import tsx bench/run.ts [--seconds 5] [--rounds 2] [--warmup 1] [--first-warmup 3] [--connections 50]
 *                                  [--workers 2] [--postgres URL [--redis URL]] [--only code,refresh] [--compare REF-OR-DIR]... [--servers latchkey,compare] [--note TEXT] [--json FILE] [--no-write]
 *   node --import tsx bench/run.ts --quick     # every case briefly, one round, README untouched
 *   node --import tsx bench/run.ts --load wrk [--wrk-threads 1]   # wrk instead of autocannon
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { type CaseId, cases, supplyOf } from './harness/cases.ts';
import { type Checkout, checkoutOf } from './harness/checkout.ts';
import { startLatchkey, supportsWorkers } from './harness/latchkey.ts';
import { type Load, type Measure, measure } from './harness/load.ts';
import { startFastify, startOidcProvider } from './harness/peers.ts';
import { peakRss } from './harness/process.ts';
import {
  comparison,
  machine,
  markdown,
  postgresTable,
  type Report,
  type Row,
  writeReadme,
} from './harness/report.ts';
import type { Target } from './harness/target.ts';
import { wrkMissing } from './harness/wrk.ts';

const { values: o } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    warmup: { type: 'string' },
    // The first window of each case and server: its code is still being compiled by V8's threads,
    // which share the server's core, so it gets a longer warm-up of its own.
    'first-warmup': { type: 'string' },
    connections: { type: 'string', default: '50' },
    workers: { type: 'string' },
    postgres: { type: 'string' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
    // Another build of Latchkey run beside this one: a built checkout's directory, or a git ref
    // (built in a temporary worktree), e.g. the commit before a change.
    compare: { type: 'string', multiple: true, default: [] },
    servers: { type: 'string' },
    only: { type: 'string' },
    note: { type: 'string', multiple: true, default: [] },
    json: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    // The load generator: autocannon (in this process) or wrk (issue 11's tool).
    load: { type: 'string', default: 'autocannon' },
    // One thread for the one load core: two threads time-slicing that core put their own waits into
    // the tail latencies they report.
    'wrk-threads': { type: 'string', default: '1' },
  },
});
if (o.load !== 'autocannon' && o.load !== 'wrk') {
  process.stderr.write(`--load takes autocannon or wrk, not ${o.load}\n`);
  process.exit(2);
}
const missing = o.load === 'wrk' ? wrkMissing() : undefined;
if (missing) {
  process.stderr.write(`${missing}\n`);
  process.exit(2);
}
const seconds = Number(o.seconds ?? (o.quick ? 0.5 : 5));
const rounds = Number(o.rounds ?? (o.quick ? 1 : 2));
const warmup = Number(o.warmup ?? (o.quick ? 0.2 : 1));
const firstWarmup = Math.max(warmup, Number(o['first-warmup'] ?? (o.quick ? 0 : 3)));
const connections = Number(o.connections);
const selected = cases.filter((c) => !o.only || o.only.split(',').includes(c.id));
const tokens = o.quick ? 20 : 100;
const [loadCore, serverCore] = [0, 1];
const notes = [...o.note];
const load: Load =
  o.load === 'wrk'
    ? { kind: 'wrk', threads: Number(o['wrk-threads']), core: loadCore }
    : { kind: 'autocannon' };
const loadName = load.kind === 'wrk' ? `wrk -t${load.threads} (Debian's wrk 4.1)` : 'autocannon';
const log = (line: string) => process.stderr.write(`${line}\n`);

// The load generator gets its own core (all threads of this process).
execFileSync('taskset', ['-a', '-cp', String(loadCore), String(process.pid)], { stdio: 'ignore' });

const meta = machine(`npm run bench -- ${process.argv.slice(2).join(' ')}`.trim());
const targets: Target[] = [];
const checkouts: Checkout[] = [];
try {
  const wanted = (name: string) => !o.servers || o.servers.split(',').includes(name);
  if (wanted('fastify')) targets.push(await startFastify(serverCore));
  if (wanted('fastify-signing')) targets.push(await startFastify(serverCore, true));
  if (wanted('oidc-provider')) targets.push(await startOidcProvider(serverCore, tokens));
  for (const refOrDir of wanted('compare') ? o.compare : []) {
    const checkout = checkoutOf(refOrDir, log);
    checkouts.push(checkout);
    const dir = checkout.dir;
    targets.push(
      await startLatchkey({ core: serverCore, tokens, checkout: dir, name: `Latchkey (${checkout.name})` }),
    );
    // With --postgres, the other checkout runs on PostgreSQL too (one process), beside this one's.
    if (o.postgres)
      targets.push(
        await startLatchkey({
          core: serverCore,
          tokens,
          checkout: dir,
          postgres: o.postgres,
          name: `Latchkey (${checkout.name}, PostgreSQL)`,
          reference: `Latchkey (${checkout.name})`,
        }),
      );
  }
  if (wanted('latchkey')) targets.push(await startLatchkey({ core: serverCore, tokens }));
  if (o.workers) {
    if (supportsWorkers())
      targets.push(await startLatchkey({ core: serverCore, tokens, workers: Number(o.workers) }));
    else
      notes.push(`\`--workers ${o.workers}\` skipped: this \`latchkey serve\` has no --workers option yet.`);
  }
  // DESIGN.md "Several instances": the same server on PostgreSQL, one process alone and one sharing
  // Redis as instances behind a balancer do (limits, notices, the client cache); with --workers N,
  // N processes sharing Redis too (node:cluster on one port stands in for N instances).
  if (o.postgres) {
    const onPostgres = { core: serverCore, tokens, postgres: o.postgres, reference: 'Latchkey' };
    targets.push(await startLatchkey({ ...onPostgres, name: 'Latchkey (PostgreSQL)' }));
    const withRedis = { ...onPostgres, redisUrl: o.redis, name: 'Latchkey (PostgreSQL + Redis)' };
    targets.push(await startLatchkey(withRedis));
    if (o.workers) targets.push(await startLatchkey({ ...withRedis, workers: Number(o.workers) }));
  }
  for (const t of targets) log(`${t.name}: pid ${t.pid}, first answer after ${t.startMs.toFixed(0)} ms`);

  const results = new Map<string, Row>();
  const lastRps = new Map<string, number>();
  for (let round = 0; round < rounds; round++) {
    // Rotate who goes first, so no server always follows the same neighbour.
    const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
    for (const c of selected) {
      for (const t of order) {
        const warm = round === 0 ? firstWarmup : warmup;
        let n = supplySize(c.id, t, warm);
        let plan = await t.plan(c.id, n);
        if (!plan) continue;
        const window = { connections, seconds, warmup: warm, load, databaseCpu: t.databaseCpu };
        let m = await measure(t.url, t.pid, plan, window);
        // The server outran the supply (the machine got quieter): measure again with three times what
        // the window used or was given, whichever is more (the warm-up takes its share too; wrk's
        // threads stop when dry, so what they sent can be less than the supply), at most twice.
        for (let retry = 0; m.shortfall > 0 && retry < 2; retry++) {
          log(`${c.id} / ${t.name}: supply of ${n} ran out; again with ${3 * Math.max(m.sent, n)}`);
          n = 3 * Math.max(m.sent, n);
          plan = (await t.plan(c.id, n))!;
          m = await measure(t.url, t.pid, plan, window);
        }
        const key = `${c.id}|${t.name}`;
        const row = results.get(key) ?? {
          server: t.name,
          note: plan.note,
          ...(t.reference && { reference: t.reference }),
          rounds: [],
        };
        row.rounds.push(m);
        results.set(key, row);
        lastRps.set(key, m.rps);
        log(describe(round, c.id, t.name, m) + (plan.shortfall ? ` (used ${m.sent} of ${n})` : ''));
        if (m.shortfall > 0)
          notes.push(`${c.id} / ${t.name}: ${m.shortfall} requests found no fresh artifact.`);
      }
    }
  }

  const report: Report = {
    meta: {
      ...meta,
      detail: `${rounds} round(s), ${seconds} s measured after ${warmup} s warm-up per case and server (${firstWarmup} s before each one's first window), ${connections} connections, load from ${loadName}`,
    },
    cases: selected.map((c) => ({
      id: c.id,
      title: c.title,
      rows: targets.flatMap((t) => results.get(`${c.id}|${t.name}`) ?? []),
    })),
    servers: targets.map((t) => ({
      server: t.name,
      startMs: t.startMs,
      idleRss: t.idleRss,
      peakRss: peakRss(t.pid),
    })),
    notes,
  };
  report.meta['load average at end'] = loadavg()[0]!.toFixed(2);
  // Each build compared against this one, side by side: what issue 30 asks to hold.
  const compared = checkouts.map((c) => comparison(report, `Latchkey (${c.name})`, 'Latchkey'));
  const text = [markdown(report), postgresTable(report), ...compared].filter(Boolean).join('\n\n');
  process.stdout.write(`\n${text}\n`);
  if (o.json) writeFileSync(o.json, JSON.stringify(report, null, 2));
  if (!o.quick && !o['no-write']) {
    writeReadme(text);
    log('bench/README.md updated');
  }

  /**
   * Single-use artifacts for one window: the last rate of this case, else the best client_credentials
   * rate of this server so far (a code exchange does at least as much work), × time, with margin.
   */
  function supplySize(c: CaseId, t: Target, warm: number): number {
    if (!supplyOf(c)) return 0;
    const cc = cases.filter((x) => x.id.startsWith('cc-')).map((x) => lastRps.get(`${x.id}|${t.name}`) ?? 0);
    const rate = Math.max(lastRps.get(`${c}|${t.name}`) ?? 0, ...cc, 500);
    return Math.ceil(rate * (seconds + warm) * 1.5) + 4 * connections + 100;
  }
} finally {
  for (const t of targets) await t.close();
  for (const c of checkouts) c.remove();
}

function describe(round: number, c: string, server: string, m: Measure): string {
  const statuses = Object.keys(m.statuses).length ? ` ${JSON.stringify(m.statuses)}` : '';
  const database = m.databaseCpuUs === undefined ? '' : ` + ${Math.round(m.databaseCpuUs)} µs database`;
  return `round ${round + 1} ${c.padEnd(14)} ${server.padEnd(24)} ${Math.round(m.rps)
    .toString()
    .padStart(
      6,
    )} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms${m.p999 === undefined ? '' : `  p99.9 ${m.p999} ms  max ${m.max} ms`}  ${Math.round(m.cpuUs)} µs CPU/req${database}  errors ${m.errors}${statuses}`;
}
