import autocannon from 'autocannon';
import type { Plan } from './cases.ts';
import { cpuMicros, sampleRss } from './process.ts';
import { fireWrk } from './wrk.ts';

export interface Measure {
  rps: number;
  p50: number;
  p99: number;
  /** wrk only (autocannon's histogram stops at p99 here): the 99.9th percentile and the maximum, ms. */
  p999?: number;
  max?: number;
  /**
   * Server CPU time (user + system, all its processes) per answered request in the window, µs. On a
   * shared machine req/s swings with other load; CPU per request much less, so compare that.
   */
  cpuUs: number;
  /** Socket errors, timeouts and non-2xx answers. */
  errors: number;
  /** Requests that found the single-use supply empty (a harness fault, reported apart). */
  shortfall: number;
  /** Highest resident memory of the server sampled during the window, bytes. */
  peakRss: number;
  /** Status codes other than 2xx seen, for the report. */
  statuses: Record<string, number>;
  /** Requests sent in warm-up and window together. */
  sent: number;
}

/** One load window, as either load generator reports it. */
export interface Fired {
  total: number;
  seconds: number;
  p50: number;
  p99: number;
  p999?: number;
  max?: number;
  /** Socket errors, timeouts and non-2xx answers. */
  errors: number;
  statuses: Record<string, number>;
  sent: number;
  /** wrk: requests that found no single-use artifact (autocannon's are counted by the plan). */
  shortfall?: number;
}

/** Which load generator: autocannon in this process (the default), or wrk pinned to `core`. */
export type Load = { kind: 'autocannon' } | { kind: 'wrk'; threads: number; core: number };

async function fireAutocannon(url: string, plan: Plan, connections: number, seconds: number): Promise<Fired> {
  const { next } = plan;
  const request: autocannon.Request = {
    method: plan.method,
    path: plan.path,
    headers: plan.headers,
    body: plan.body,
  };
  if (next) {
    request.setupRequest = (req) => {
      const v = next();
      return {
        ...req,
        headers: v.headers ? { ...plan.headers, ...v.headers } : req.headers,
        body: v.body ?? req.body,
      };
    };
  }
  // autocannon checks for the end of the run once per sample: 100 ms samples keep windows exact.
  const r = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [request],
    timeout: 10,
    sampleInt: 100,
  });
  const statuses: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(r.statusCodeStats ?? {}))
    if (!code.startsWith('2')) statuses[code] = count ?? 0;
  return {
    total: r.requests.total,
    seconds: r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx,
    statuses,
    sent: r.requests.sent,
  };
}

/** A warm-up (JIT, pools, caches), then the measured window with RSS sampled every 100 ms. */
export async function measure(
  url: string,
  pid: number,
  plan: Plan,
  opts: { connections: number; seconds: number; warmup: number; load?: Load },
): Promise<Measure> {
  const load = opts.load ?? { kind: 'autocannon' };
  // wrk takes its single-use artifacts up front: the warm-up its share of the supply by time, the
  // window all that is left.
  const fresh = (window: boolean): number | undefined => {
    const left = plan.remaining?.();
    if (left === undefined || window) return left;
    return Math.floor((left * opts.warmup) / (opts.warmup + opts.seconds));
  };
  const fire = (seconds: number, window: boolean): Promise<Fired> => {
    if (load.kind === 'autocannon') return fireAutocannon(url, plan, opts.connections, seconds);
    const { threads, core } = load;
    const n = fresh(window);
    return fireWrk(url, plan, {
      connections: opts.connections,
      seconds,
      threads,
      core,
      ...(n !== undefined && { fresh: n }),
    });
  };
  const warm = opts.warmup > 0 ? (await fire(opts.warmup, false)).sent : 0;
  const before = plan.shortfall?.() ?? 0;
  const stopSampling = sampleRss(pid);
  const cpuBefore = cpuMicros(pid);
  const r = await fire(opts.seconds, true);
  const cpu = cpuMicros(pid) - cpuBefore;
  return {
    rps: r.total / r.seconds,
    p50: r.p50,
    p99: r.p99,
    ...(r.p999 !== undefined && { p999: r.p999, max: r.max }),
    cpuUs: r.total > 0 ? cpu / r.total : 0,
    errors: r.errors,
    shortfall: r.shortfall ?? (plan.shortfall?.() ?? 0) - before,
    peakRss: stopSampling(),
    statuses: r.statuses,
    sent: warm + r.sent,
  };
}
