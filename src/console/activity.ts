import type { Services } from '../services.ts';
import type { ActivityCounts } from '../store/activity.ts';

/**
 * Per-client activity for the credentials console: tokens issued and rate-limited token requests.
 *
 * The token endpoint serves thousands of requests a second, so it must not wait on a write: it
 * counts in memory (one Map update) and the counts are flushed to `client_activity` in per-minute
 * buckets about once a minute, and before the console reads them. Several instances each add their
 * own counts (an upsert that sums), so the totals stay right behind a load balancer.
 */
interface Counter {
  pending: Map<string, ActivityCounts>;
  timer: NodeJS.Timeout | undefined;
  flushing: Promise<void>;
}

const flushEveryMs = 60_000;
/** A bound on memory if the database stays unreachable: beyond it, the oldest counts are dropped. */
const maxPending = 50_000;
const counters = new WeakMap<Services, Counter>();

function counterFor(s: Services): Counter {
  let counter = counters.get(s);
  if (!counter) {
    counter = { pending: new Map(), timer: undefined, flushing: Promise.resolve() };
    counters.set(s, counter);
  }
  return counter;
}

/**
 * Subscribes the counts to the core's token events (src/oauth/events.ts); called once when the app
 * is wired. Returns the function that unsubscribes.
 */
export function countTokenActivity(s: Services): () => void {
  return s.events.subscribe({
    onTokenRequest: ({ clientId, outcome }) => recordTokenRequest(s, clientId, outcome === 'issued'),
  });
}

/**
 * Once per token request that passed client authentication, right after the per-client rate limit:
 * `allowed` false means the limit answered 429, true that the grant handler issued tokens.
 */
function recordTokenRequest(s: Services, clientId: string, allowed: boolean): void {
  const counter = counterFor(s);
  const now = s.clock();
  const minute = now - (now % 60_000);
  const key = `${minute}\u0000${clientId}`;
  let counts = counter.pending.get(key);
  if (!counts) {
    if (counter.pending.size >= maxPending) counter.pending.delete(counter.pending.keys().next().value!);
    counts = { clientId, minute, issued: 0, rateLimited: 0 };
    counter.pending.set(key, counts);
  }
  if (allowed) counts.issued++;
  else counts.rateLimited++;
  if (!counter.timer) {
    counter.timer = setInterval(() => {
      flushActivity(s).catch((error) => s.log.warn({ err: error }, 'could not record token activity'));
    }, flushEveryMs);
    counter.timer.unref();
  }
}

/** Writes the counts gathered in memory. Safe to call at any time; calls queue behind each other. */
export function flushActivity(s: Services): Promise<void> {
  const counter = counterFor(s);
  counter.flushing = counter.flushing
    .catch(() => {})
    .then(async () => {
      if (counter.pending.size === 0) return;
      const batch = [...counter.pending.values()];
      counter.pending = new Map();
      await s.store.activity.add(batch);
      // Keep a week of buckets: the console shows the last 24 hours.
      await s.store.activity.prune(s.clock() - 7 * 86_400_000);
    });
  return counter.flushing;
}

/** Stops the flush timer (tests, shutdown). Counts still in memory are written first. */
export async function stopActivity(s: Services): Promise<void> {
  const counter = counters.get(s);
  if (!counter) return;
  if (counter.timer) clearInterval(counter.timer);
  counter.timer = undefined;
  await flushActivity(s);
}

export interface ActivitySummary {
  /** Tokens issued (token requests that passed authentication and the rate limit). */
  tokensIssued: number;
  /** Token requests answered 429 by the per-client rate limit. */
  rateLimited: number;
  /** Failed client authentications (wrong, expired or malformed secret), from the audit log. */
  failedAuthentications: number;
  /** When the window starts, epoch ms. */
  since: number;
}

/** The last `windowMs` (24 hours) of activity of one client. */
export async function activitySummary(
  s: Services,
  clientId: string,
  windowMs = 86_400_000,
): Promise<ActivitySummary> {
  await flushActivity(s);
  const since = s.clock() - windowMs;
  const [totals, failedAuthentications] = await Promise.all([
    s.store.activity.totals(clientId, since),
    s.store.audit.count({ clientId, actions: ['client.auth_failed'], since }),
  ]);
  return { tokensIssued: totals.issued, rateLimited: totals.rateLimited, failedAuthentications, since };
}

/** Forgets a deleted client's counts. */
export async function deleteActivity(s: Services, clientId: string): Promise<void> {
  await flushActivity(s);
  await s.store.activity.deleteForClient(clientId);
}
