import autocannon from 'autocannon';
import type { Plan } from './cases.ts';
import { cpuMicros, sampleRss } from './process.ts';

export interface Measure {
  rps: number;
  p50: number;
  p99: number;
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

function fire(url: string, plan: Plan, connections: number, seconds: number): Promise<autocannon.Result> {
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
  return autocannon({
    url,
    connections,
    duration: seconds,
    requests: [request],
    timeout: 10,
    sampleInt: 100,
  });
}

/** A warm-up (JIT, pools, caches), then the measured window with RSS sampled every 100 ms. */
export async function measure(
  url: string,
  pid: number,
  plan: Plan,
  opts: { connections: number; seconds: number; warmup: number },
): Promise<Measure> {
  const warm = opts.warmup > 0 ? (await fire(url, plan, opts.connections, opts.warmup)).requests.sent : 0;
  const before = plan.shortfall?.() ?? 0;
  const stopSampling = sampleRss(pid);
  const cpuBefore = cpuMicros(pid);
  const r = await fire(url, plan, opts.connections, opts.seconds);
  const cpu = cpuMicros(pid) - cpuBefore;
  const statuses: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(r.statusCodeStats ?? {}))
    if (!code.startsWith('2')) statuses[code] = count ?? 0;
  return {
    rps: r.requests.total / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    cpuUs: r.requests.total > 0 ? cpu / r.requests.total : 0,
    errors: r.errors + r.timeouts + r.non2xx,
    shortfall: (plan.shortfall?.() ?? 0) - before,
    peakRss: stopSampling(),
    statuses,
    sent: warm + r.requests.sent,
  };
}
