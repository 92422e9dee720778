import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

/**
 * `latchkey serve --workers N`: /metrics describes the whole server. The worker that takes a scrape
 * asks the primary, which collects every worker's registry over node:cluster's IPC and merges them
 * with prom-client's `AggregatorRegistry.aggregate` (counters and histograms add up; a metric may say
 * otherwise, e.g. the oldest pending webhook takes the maximum). Read from one worker, counters went
 * 3, 4, 3, 4 from scrape to scrape, which Prometheus takes for resets.
 *
 * Not prom-client's `clusterMetrics()`: it asks every forked worker, including one still loading its
 * modules, which cannot answer yet, so a scrape during a worker's restart waited 5 s and failed. Here
 * the primary asks the workers that said they are ready. A scrape that cannot hear every ready worker
 * fails (503) rather than report a partial sum, which would look like a counter reset.
 */
const timeoutMs = 5_000;

/** One worker's registry, as `getMetricsAsJSON` gives it (what `aggregate` takes). */
type JsonMetrics = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;
type Message =
  | { latchkey: 'metrics:ready' }
  | { latchkey: 'metrics:scrape'; id: number }
  | { latchkey: 'metrics:collect'; id: number }
  | { latchkey: 'metrics:collected'; id: number; metrics: JsonMetrics }
  | { latchkey: 'metrics:scraped'; id: number; text?: string; error?: string };

const send = (worker: Worker, message: Message, onError: () => void = () => {}): void => {
  // With a callback a closed channel is reported here, not as an 'error' event that nobody handles.
  if (worker.isConnected()) worker.send(message, undefined, (error) => error && onError());
  else onError();
};

/** In the primary, before it forks: answers the workers' scrapes with the whole server's metrics. */
export function aggregateWorkerMetrics(): void {
  const ready = new Set<Worker>();
  const collections = new Map<number, { answer(w: Worker, m: JsonMetrics): void; lost(w: Worker): void }>();
  let nextId = 0;

  const lost = (worker: Worker): void => {
    ready.delete(worker);
    for (const collection of collections.values()) collection.lost(worker);
  };

  const collect = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const waiting = new Set(ready);
      const results: JsonMetrics[] = [];
      const finish = (error?: Error) => {
        clearTimeout(timer);
        collections.delete(id);
        if (error) reject(error);
        else AggregatorRegistry.aggregate(results).metrics().then(resolve, reject);
      };
      const timer = setTimeout(() => finish(new Error('a worker did not report its metrics')), timeoutMs);
      collections.set(id, {
        answer(worker, metrics) {
          if (!waiting.delete(worker)) return;
          results.push(metrics);
          if (waiting.size === 0) finish();
        },
        lost: (worker) => waiting.has(worker) && finish(new Error('a worker exited while reporting')),
      });
      if (waiting.size === 0) finish();
      for (const worker of waiting) send(worker, { latchkey: 'metrics:collect', id }, () => lost(worker));
    });

  cluster.on('exit', lost);
  cluster.on('message', (worker, message: Message) => {
    if (message?.latchkey === 'metrics:ready') ready.add(worker);
    else if (message?.latchkey === 'metrics:collected')
      collections.get(message.id)?.answer(worker, message.metrics);
    else if (message?.latchkey === 'metrics:scrape') {
      const { id } = message;
      collect().then(
        (text) => send(worker, { latchkey: 'metrics:scraped', id, text }),
        (error: Error) => send(worker, { latchkey: 'metrics:scraped', id, error: error.message }),
      );
    }
  });
}

/**
 * What /metrics answers: this process's registry, or in a cluster worker the whole server's. A worker
 * answers the primary's requests for its own registry until it exits, draining included, so the sum
 * does not drop while it finishes its last requests.
 */
export function serverMetrics(registry: Registry): () => Promise<string> {
  if (!cluster.isWorker) return () => registry.metrics();
  const scrapes = new Map<number, (outcome: string | Error) => void>();
  let nextId = 0;
  // A callback: a channel closed while the worker exits reports here, not as an 'error' event.
  const tell = (message: Message, onError: () => void = () => {}) =>
    process.send?.(message, undefined, undefined, (error: Error | null) => error && onError());
  const onMessage = (message: Message) => {
    if (message?.latchkey === 'metrics:collect') {
      const { id } = message;
      registry.getMetricsAsJSON().then(
        (metrics) => tell({ latchkey: 'metrics:collected', id, metrics }),
        () => {}, // the primary's timeout reports it
      );
    } else if (message?.latchkey === 'metrics:scraped') {
      scrapes.get(message.id)?.(message.text ?? new Error(message.error ?? 'no metrics'));
    }
  };
  process.on('message', onMessage);
  tell({ latchkey: 'metrics:ready' });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => settle(new Error('the primary did not answer')), timeoutMs * 2);
      const settle = (outcome: string | Error) => {
        clearTimeout(timer);
        scrapes.delete(id);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      scrapes.set(id, settle);
      tell({ latchkey: 'metrics:scrape', id }, () => settle(new Error('the primary is gone')));
    });
}
