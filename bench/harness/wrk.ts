import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Plan } from './cases.ts';
import type { Fired } from './load.ts';

/**
 * wrk (Debian's package `wrk`) as the load generator, as issue 11 measured: one C process on the
 * load core. It sends requests made before the window starts: one fixed request, or a plan's pool of
 * tokens in turn (introspection, the API call). Codes and refresh tokens, single-use, need a fresh
 * one per request, so those cases stay with autocannon. Latency is wrk's own: from the request
 * written to the answer read.
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

/** The script: the plan's request(s), and one machine-readable summary line at the end. */
function script(plan: Plan): string {
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
  return `local requests, i = {}, 0
init = function(args)
  requests = {
    ${formatted}
  }
end
request = function()
  i = i % #requests + 1
  return requests[i]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
`;
}

export async function fireWrk(
  url: string,
  plan: Plan,
  opts: { connections: number; seconds: number; threads: number; core: number },
): Promise<Fired> {
  if (plan.shortfall)
    throw new Error(
      'wrk sends requests made in advance: this case needs a fresh single-use artifact per request',
    );
  const file = join(mkdtempSync(join(tmpdir(), 'latchkey-wrk-')), 'plan.lua');
  writeFileSync(file, script(plan));
  const args = ['-c', String(opts.core), 'wrk', `-t${opts.threads}`, `-c${opts.connections}`];
  // wrk takes whole seconds only (0.5s is a usage error): shorter windows (--quick) last one second.
  const seconds = Math.max(1, Math.round(opts.seconds));
  args.push(`-d${seconds}s`, '--timeout', '10s', '-s', file, new URL(plan.path, url).href);
  const out = await new Promise<string>((resolve, reject) =>
    execFile('taskset', args, (error, stdout) => (error ? reject(error) : resolve(stdout))),
  );
  const line = /^WRK (.+)$/m.exec(out);
  if (!line) throw new Error(`wrk printed no summary:\n${out}`);
  const [requests, micros, socketErrors, statusErrors, p50, p99, p999, max] = line[1]!.split(' ').map(Number);
  const ms = (us: number) => Math.round(us / 100) / 10;
  return {
    total: requests!,
    seconds: micros! / 1e6,
    p50: ms(p50!),
    p99: ms(p99!),
    p999: ms(p999!),
    max: ms(max!),
    errors: socketErrors! + statusErrors!,
    // wrk counts answers of 400 and above together, without their codes.
    statuses: statusErrors! > 0 ? { '4xx/5xx': statusErrors! } : {},
    sent: requests!,
  };
}
