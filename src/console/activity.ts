import type { Kysely } from 'kysely';
import type { Services } from '../services.ts';
import type { Database } from '../store/schema.ts';

/**
 * Per-client activity for the credentials console: tokens issued and rate-limited token requests.
 *
 * The token endpoint serves thousands of requests a second, so it must not wait on a write: it
 * counts in memory (one Map update) and the counts are flushed to `client_activity` in per-minute
 * buckets about once a minute, and before the console reads them. Several instances each add their
 * own counts (an upsert that sums), so the totals stay right behind a load balancer.
 */
export interface ClientActivityTable {
  client_id: string;
  minute: number;
  tokens_issued: number;
  rate_limited: number;
}

/** The database as this module sees it: the shared schema plus its own table (migration 003). */
export type ConsoleDatabase = Database & { client_activity: ClientActivityTable };

export const consoleDb = (s: Services): Kysely<ConsoleDatabase> =>
  s.store.raw.db as unknown as Kysely<ConsoleDatabase>;

interface Counts {
  clientId: string;
  minute: number;
  issued: number;
  rateLimited: number;
}

interface Counter {
  pending: Map<string, Counts>;
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
 * Called once per token request that passed client authentication (the one-line hook in
 * src/oauth/token.ts, right after the per-client rate limit): `allowed` false means the limit
 * answered 429. An allowed request counts as a token issued; the rare grant error after that point
 * (invalid_scope, a replayed code) is counted too, which keeps the hook to one line.
 */
export function recordTokenRequest(s: Services, clientId: string, allowed: boolean): void {
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
      const db = consoleDb(s);
      for (let i = 0; i < batch.length; i += 200) {
        const rows = batch.slice(i, i + 200).map((c) => ({
          client_id: c.clientId,
          minute: c.minute,
          tokens_issued: c.issued,
          rate_limited: c.rateLimited,
        }));
        await db
          .insertInto('client_activity')
          .values(rows)
          .onConflict((oc) =>
            oc.columns(['client_id', 'minute']).doUpdateSet((eb) => ({
              tokens_issued: eb('client_activity.tokens_issued', '+', eb.ref('excluded.tokens_issued')),
              rate_limited: eb('client_activity.rate_limited', '+', eb.ref('excluded.rate_limited')),
            })),
          )
          .execute();
      }
      // Keep a week of buckets: the console shows the last 24 hours.
      await db
        .deleteFrom('client_activity')
        .where('minute', '<', s.clock() - 7 * 86_400_000)
        .execute();
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
  const db = consoleDb(s);
  const [counts, failures] = await Promise.all([
    db
      .selectFrom('client_activity')
      .select((eb) => [
        eb.fn.coalesce(eb.fn.sum<number>('tokens_issued'), eb.lit(0)).as('issued'),
        eb.fn.coalesce(eb.fn.sum<number>('rate_limited'), eb.lit(0)).as('limited'),
      ])
      .where('client_id', '=', clientId)
      // A bucket counts when its minute overlaps the window.
      .where('minute', '>', since - 60_000)
      .executeTakeFirst(),
    db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('client_id', '=', clientId)
      .where('action', '=', 'client.auth_failed')
      .where('created_at', '>=', since)
      .executeTakeFirst(),
  ]);
  return {
    tokensIssued: Number(counts?.issued ?? 0),
    rateLimited: Number(counts?.limited ?? 0),
    failedAuthentications: Number(failures?.n ?? 0),
    since,
  };
}

/** Forgets a deleted client's counts. */
export async function deleteActivity(s: Services, clientId: string): Promise<void> {
  await flushActivity(s);
  await consoleDb(s).deleteFrom('client_activity').where('client_id', '=', clientId).execute();
}
