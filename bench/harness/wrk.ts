import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Plan } from './cases.ts';
import type { Fired } from './load.ts';

/**
 * wrk (Debian's package `wrk`) as the load generator, as issue 11 measured: one C process on the
 * load core. It sends requests made before the window starts: one fixed request, a plan's pool of
 * tokens in turn (introspection, the API call), or `fresh` single-use codes or refresh tokens, each
 * sent once. Those are dealt out among wrk's threads (each has its own Lua state); a thread that runs
 * dry stops, and the window reports its shortfall, as autocannon's supply does. Latency is wrk's
 * own: from the request written to the answer read.
 */
export function wrkMissing(): string | undefined {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (error) {
    // `wrk --version` prints its version and exits 1; only a missing binary is a failure.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return 'wrk is not installed: `apt-get install -y wrk` (Debian), then run again';
  }
  return undefined;
}

const lua = (s: string): string => JSON.stringify(s); // a JSON string is a valid Lua string literal here

/** A pool plan (tokens used in turn) is cycled through this many of its requests. */
const poolVariants = 100;

const luaTable = (headers: Record<string, string>): string =>
  `{ ${Object.entries(headers)
    .map(([name, value]) => `[${lua(name)}] = ${lua(value)}`)
    .join(', ')} }`;

/** wrk's `setup`: every thread gets its number (`id`, 0 … T-1) and is kept for `done` to read. */
const setupFunction = `local count, threads = 0, {}
setup = function(thread)
  thread:set("id", count)
  count = count + 1
  table.insert(threads, thread)
end
`;

/**
 * wrk opens all its connections at once, and Node accepts one new connection per turn of its event
 * loop (libuv/libuv#3696): on a loaded server the last of 50 waited ~50 turns, which the window would
 * count as the latency of its first request. Each connection's first request is held `holdMs`, time
 * for an idle server to accept them all, so the window measures the requests, not the accepts.
 * (wrk then sends every request through its timer, at no cost to the server.)
 */
const holdMs = 100;
const holdFunction = (connectionsPerThread: number) => `local held = ${connectionsPerThread}
delay = function()
  if held > 0 then
    held = held - 1
    return ${holdMs}
  end
  return 0
end
`;

/** wrk's `done`: one machine-readable line (counts, latency in µs, dry threads) for `fireWrk` to parse. */
const doneFunction = `done = function(summary, latency, requests)
  local e, dry = summary.errors, 0
  for _, t in ipairs(threads) do dry = dry + (t:get("dry") or 0) end
  io.write(string.format("WRK %d %d %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50), latency:percentile(99),
    latency:percentile(99.9), latency.max, dry))
end
`;

/**
 * Single-use requests: the bodies are in a file, one per line (form and JSON bodies have no line
 * breaks); thread k of T takes lines k, k + T, … so no artifact is sent twice. A thread that has sent
 * all of its own stops, and its last request carries a spent marker instead of a real artifact (an
 * unknown code is refused without revoking anything; a replayed one would revoke its grant). wrk
 * calls the first thread's `request()` once before the run to check the request it makes, so that
 * thread's first artifact is taken but never sent: one unused code per window.
 */
function singleUseScript(plan: Plan, file: string, threads: number, perThread: number): string {
  const format = (body: string) => `wrk.format(${lua(plan.method)}, nil, ${luaTable(plan.headers)}, ${body})`;
  return `${setupFunction}${holdFunction(perThread)}local requests, i = {}, 0
dry = 0
init = function(args)
  local n = 0
  for line in io.lines(${lua(file)}) do
    if n % ${threads} == id then requests[#requests + 1] = ${format('line')} end
    n = n + 1
  end
end
request = function()
  if i >= #requests then
    dry = dry + 1
    wrk.thread:stop()
    return ${format(lua('spent=1'))}
  end
  i = i + 1
  return requests[i]
end
${doneFunction}`;
}

/** The script: the plan's request(s), and one machine-readable summary line at the end. */
function script(plan: Plan, perThread: number): string {
  const variants = plan.next
    ? Array.from({ length: poolVariants }, () => {
        const v = plan.next!();
        return { headers: { ...plan.headers, ...v.headers }, body: v.body ?? plan.body };
      })
    : [{ headers: plan.headers, body: plan.body }];
  const formatted = variants
    .map(
      (v) =>
        `wrk.format(${lua(plan.method)}, nil, ${luaTable(v.headers)}, ${v.body === undefined ? 'nil' : lua(v.body)})`,
    )
    .join(',\n    ');
  // Requests are formatted once per thread (init), then sent in turn.
  return `${setupFunction}${holdFunction(perThread)}local requests, i = {}, 0
init = function(args)
  requests = {
    ${formatted}
  }
end
request = function()
  i = i % #requests + 1
  return requests[i]
end
${doneFunction}`;
}

type WrkOptions = { connections: number; seconds: number; threads: number; core: number; fresh?: number };

export async function fireWrk(
  url: string,
  plan: Plan,
  opts: WrkOptions,
): Promise<Fired & { shortfall: number }> {
  // The script and a single-use supply (up to tens of MB) live only as long as this window.
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-wrk-'));
  try {
    return await runIn(dir, url, plan, opts);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runIn(
  dir: string,
  url: string,
  plan: Plan,
  opts: WrkOptions,
): Promise<Fired & { shortfall: number }> {
  const file = join(dir, 'plan.lua');
  const perThread = Math.ceil(opts.connections / opts.threads);
  if (plan.remaining) {
    // Single use: this window's share of the supply, taken now and written out for the threads.
    if (opts.fresh === undefined) throw new Error('a single-use plan needs the number of fresh artifacts');
    const bodies = Array.from({ length: opts.fresh }, () => {
      const v = plan.next!();
      if (v.headers || v.body === undefined || /[\r\n]/.test(v.body))
        throw new Error('wrk takes single-use artifacts as one-line bodies only');
      return v.body;
    });
    writeFileSync(join(dir, 'bodies'), bodies.length ? `${bodies.join('\n')}\n` : '');
    writeFileSync(file, singleUseScript(plan, join(dir, 'bodies'), opts.threads, perThread));
  } else writeFileSync(file, script(plan, perThread));
  const args = ['-c', String(opts.core), 'wrk', `-t${opts.threads}`, `-c${opts.connections}`];
  // wrk takes whole seconds only (0.5s is a usage error): shorter windows (--quick) last one second.
  const seconds = Math.max(1, Math.round(opts.seconds));
  args.push(`-d${seconds}s`, '--timeout', '10s', '-s', file, new URL(plan.path, url).href);
  const out = await new Promise<string>((resolve, reject) =>
    execFile('taskset', args, (error, stdout) => (error ? reject(error) : resolve(stdout))),
  );
  const line = /^WRK (.+)$/m.exec(out);
  if (!line) throw new Error(`wrk printed no summary:\n${out}`);
  const [requests, micros, socketErrors, statusErrors, p50, p99, p999, max, dry] = line[1]!
    .split(' ')
    .map(Number);
  const ms = (us: number) => Math.round(us / 100) / 10;
  return {
    total: requests!,
    seconds: micros! / 1e6 - holdMs / 1000, // the window opens once the first requests are sent
    p50: ms(p50!),
    p99: ms(p99!),
    p999: ms(p999!),
    max: ms(max!),
    errors: socketErrors! + statusErrors!,
    // wrk counts answers of 400 and above together, without their codes.
    statuses: statusErrors! > 0 ? { '4xx/5xx': statusErrors! } : {},
    sent: requests!,
    // Requests a dry thread had no artifact for (each such thread stopped at its first).
    shortfall: dry!,
  };
}
