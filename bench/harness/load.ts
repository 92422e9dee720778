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
  /** PostgreSQL rows: CPU time of the database's backends per answered request, µs (when on this machine). */
  databaseCpuUs?: number;
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

/**
 * One autocannon run of `warmup + seconds`: the window is its last `seconds`, counted from this
 * process's own record of each answer. Its connections are opened, accepted and used during the
 * warm-up, so the window measures a steady load, not Node accepting a burst of new connections one
 * per turn of its event loop (libuv/libuv#3696). `onWindow` runs as the window opens.
 */
export async function fireAutocannon(
  url: string,
  plan: Plan,
  opts: { connections: number; seconds: number; warmup: number },
  onWindow: () => void,
): Promise<Fired> {
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
  const latencies: number[] = []; // of 2xx answers, as autocannon's own histogram
  const statuses: Record<string, number> = {};
  let answered = 0;
  let errors = 0;
  let opened: number | undefined;
  const open = () => {
    onWindow();
    opened = performance.now();
  };
  const timer = setTimeout(open, opts.warmup * 1000);
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    // autocannon checks for the end of the run once per sample: 100 ms samples keep windows exact.
    const run = autocannon(
      {
        url,
        connections: opts.connections,
        duration: opts.warmup + opts.seconds,
        requests: [request],
        timeout: 10,
        sampleInt: 100,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    run.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (opened === undefined) return;
      answered++;
      if (status >= 200 && status <= 299) {
        latencies.push(ms);
      } else {
        errors++;
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    });
    run.on('reqError', () => {
      if (opened !== undefined) errors++;
    });
  });
  clearTimeout(timer);
  if (opened === undefined) open(); // a run shorter than its warm-up: an empty window
  const seconds = (performance.now() - opened!) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0) * 10) / 10;
  return {
    total: answered,
    seconds,
    p50: at(0.5),
    p99: at(0.99),
    errors: errors + r.timeouts,
    statuses,
    sent: r.requests.sent,
  };
}

/**
 * A warm-up (JIT, pools, caches, connections), then the measured window with RSS sampled every
 * 100 ms. autocannon keeps its connections from the warm-up into the window; wrk, which cannot, holds
 * each connection's first request of the window until all of them are open (./wrk.ts).
 */
export async function measure(
  url: string,
  pid: number,
  plan: Plan,
  opts: {
    connections: number;
    seconds: number;
    warmup: number;
    load?: Load;
    /** CPU time (µs) the server's database has used so far, when it is a process of its own. */
    databaseCpu?: () => Promise<number | undefined>;
  },
): Promise<Measure> {
  const load = opts.load ?? { kind: 'autocannon' };
  let shortfallBefore = 0;
  let stopSampling = () => 0;
  let cpuBefore = 0;
  let databaseBefore: Promise<number | undefined> = Promise.resolve(undefined);
  const openWindow = () => {
    shortfallBefore = plan.shortfall?.() ?? 0;
    stopSampling = sampleRss(pid);
    cpuBefore = cpuMicros(pid);
    if (opts.databaseCpu) databaseBefore = opts.databaseCpu();
  };
  let r: Fired;
  let warm = 0;
  if (load.kind === 'autocannon') {
    r = await fireAutocannon(url, plan, opts, openWindow);
  } else {
    // wrk takes its single-use artifacts up front: the warm-up its share of the supply by time, the
    // window all that is left.
    const fresh = (window: boolean): number | undefined => {
      const left = plan.remaining?.();
      if (left === undefined || window) return left;
      return Math.floor((left * opts.warmup) / (opts.warmup + opts.seconds));
    };
    const fire = (seconds: number, window: boolean) => {
      const n = fresh(window);
      return fireWrk(url, plan, {
        connections: opts.connections,
        seconds,
        threads: load.threads,
        core: load.core,
        ...(n !== undefined && { fresh: n }),
      });
    };
    warm = opts.warmup > 0 ? (await fire(opts.warmup, false)).sent : 0;
    openWindow();
    r = await fire(opts.seconds, true);
  }
  const cpu = cpuMicros(pid) - cpuBefore;
  const [before, after] = [await databaseBefore, await opts.databaseCpu?.()];
  const databaseCpu = before !== undefined && after !== undefined ? after - before : undefined;
  return {
    rps: r.total / r.seconds,
    p50: r.p50,
    p99: r.p99,
    ...(r.p999 !== undefined && { p999: r.p999, max: r.max }),
    cpuUs: r.total > 0 ? cpu / r.total : 0,
    ...(databaseCpu !== undefined && { databaseCpuUs: r.total > 0 ? databaseCpu / r.total : 0 }),
    errors: r.errors,
    shortfall: r.shortfall ?? (plan.shortfall?.() ?? 0) - shortfallBefore,
    peakRss: stopSampling(),
    statuses: r.statuses,
    sent: warm + r.sent,
  };
}
