import type { Clock } from '../clock.ts';
import type { ChangeNotices } from '../store/change-notices.ts';

/**
 * What an instance knows of the counters it shares through Redis (./redis.ts), so that most requests
 * need not ask. A counter is named `key:windowMs:windowStart`, so its window ends at the last two.
 */
const windowEnd = (name: string): number => {
  const start = name.lastIndexOf(':');
  const size = name.lastIndexOf(':', start - 1);
  return Number(name.slice(start + 1)) + Number(name.slice(size + 1, start));
};

/**
 * How many counts one claim takes for a limit. Up to 199 a window every hit is counted in Redis, so
 * low limits (60 tokens a minute, 10 failures) stay exact; above, an instance holds at most 1 % of
 * the limit unspent, and no more than 100 counts.
 */
export const leaseSize = (limit: number): number => Math.max(1, Math.min(100, Math.floor(limit / 100)));

interface Lease {
  end: number;
  /** Counts this instance claimed in Redis, and how many of them it spent. */
  granted: number;
  used: number;
  /** The shared count after this instance's last claim. */
  total: number;
  /** A claim found the limit reached: refuse without asking again until the window ends. */
  exhausted: boolean;
  claiming?: Promise<boolean>;
}

/** A claim's answer: how many of its counts are under the limit, and the shared count after it. */
export type Claimed = { granted: number; total: number } | undefined;

/**
 * Blocks of counts claimed in Redis and spent here. Never more is spent than was granted, so the
 * shared count stays an upper bound: an instance may refuse while another still holds unspent counts
 * (at most one block each), and never allows past the limit.
 */
export function leases(clock: Clock, maxKeys = 100_000) {
  const held = new Map<string, Lease>();

  const lease = (name: string): Lease => {
    let found = held.get(name);
    if (!found) {
      if (held.size >= maxKeys) {
        sweep(held, clock());
        // Still full of live counters: drop the oldest (its spare counts go unspent).
        if (held.size >= maxKeys) held.delete(held.keys().next().value!);
      }
      found = { end: windowEnd(name), granted: 0, used: 0, total: 0, exhausted: false };
      held.set(name, found);
    }
    return found;
  };

  return {
    /**
     * Spends one count of the counter `name`, claiming a block with `claim` when none is left (one
     * claim at a time: requests arriving meanwhile wait for it). Undefined when Redis did not answer.
     */
    async take(
      name: string,
      claim: () => Promise<Claimed>,
    ): Promise<{ allowed: boolean; total: number } | undefined> {
      for (;;) {
        const l = lease(name);
        if (l.used < l.granted) {
          l.used++;
          return { allowed: true, total: l.total - (l.granted - l.used) };
        }
        if (l.exhausted) return { allowed: false, total: l.total };
        l.claiming ??= claim().then((claimed) => {
          l.claiming = undefined;
          if (claimed === undefined) return false;
          l.granted += claimed.granted;
          l.total = claimed.total;
          l.exhausted = claimed.granted === 0;
          return true;
        });
        if (!(await l.claiming)) return undefined;
      }
    },
    /** Counts held but not spent. */
    spare: (name: string): number => {
      const l = held.get(name);
      return l ? l.granted - l.used : 0;
    },
    /** Takes back one spent count, if this instance spent any under `name`. */
    giveBack(name: string): boolean {
      const l = held.get(name);
      if (!l || l.used === 0) return false;
      l.used--;
      return true;
    },
  };
}

interface Known {
  end: number;
  /** Undefined: counted by some instance. A number: Redis said zero while that hearing lasted. */
  zeroIn?: number;
}

/**
 * Which counters are surely at zero, without asking Redis. The first count of a counter in its
 * window is announced to every instance (kind `counted`); an instance that has heard every
 * announcement since a window began knows that a counter it has not heard of is at zero. After a
 * (re)subscription it knows that only of windows that start later, and of counters Redis said were at
 * zero since. While notices do not flow, nothing is known.
 *
 * The check stays what it was across instances: a count lands in Redis a moment before its
 * announcement arrives, as the count of a failure lands after the secret was checked.
 */
export function countedKeys(notices: ChangeNotices, clock: Clock, maxKeys = 100_000) {
  const known = new Map<string, Known>();
  // Bumped at every (re)subscription: what was learnt before may have missed announcements.
  let hearing = 0;
  let hearingSince = Number.POSITIVE_INFINITY;
  const forget = (): void => {
    known.clear();
    hearing++;
    hearingSince = clock();
  };
  const mark = (name: string, zeroIn?: number): void => {
    if (known.size >= maxKeys) {
      sweep(known, clock());
      // Still full of live counters: forget them all rather than grow without bound.
      if (known.size >= maxKeys) forget();
    }
    known.set(name, { end: windowEnd(name), zeroIn });
  };
  const unsubscribe = notices.subscribe((notice) => {
    if (notice === 'reset') forget();
    else if (notice.kind === 'counted') mark(notice.id);
  });

  return {
    /** Tells every instance (this one at once) that `name` has counted something in its window. */
    announce(name: string): void {
      void notices.publish('counted', name);
    },
    /** What to hand `sawZero` for a read of Redis starting now. */
    hearing: (): number => (notices.healthy() ? hearing : -1),
    surelyZero(name: string, windowStart: number): boolean {
      if (!notices.healthy()) return false;
      const k = known.get(name);
      if (k) return k.zeroIn === hearing;
      // Strictly after: a count made in the very millisecond it began to hear may have been missed.
      return hearingSince < windowStart;
    },
    /** Redis said `name` was at zero, in a read started during `heardIn` (from `hearing()`). */
    sawZero(name: string, heardIn: number): void {
      if (heardIn === hearing && !known.has(name)) mark(name, heardIn);
    },
    close: unsubscribe,
  };
}

function sweep(entries: Map<string, { end: number }>, now: number): void {
  for (const [name, entry] of entries) if (entry.end <= now) entries.delete(name);
}
