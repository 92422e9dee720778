import type { Clock } from '../clock.ts';

/** How long an entry lives: while change notices flow (a backstop), and while they do not. */
export interface CacheLifetimes {
  ttlMs: number;
  /** Bounds how stale another instance's change can be while notices are away (Redis or the listener). */
  degradedTtlMs: number;
}

export interface NoticeCacheOptions extends CacheLifetimes {
  maxEntries?: number;
  /** SQLite: a counter bumped when another process has committed (./sqlite-changes.ts). */
  otherCommits?: () => number;
  /** Told whether each `through` lookup was answered from memory (the cache-hit metric). */
  onLookup?: (hit: boolean) => void;
}

/**
 * The memory under the store's caches (clients, token status). Whoever owns one drops entries when a
 * change notice says so; this keeps the rules they share: entries live `degradedTtlMs` while
 * `healthy()` is false, everything goes when another process committed (SQLite), the oldest entry
 * goes first when full, and an answer read from the database before a drop is not stored after it.
 */
export interface NoticeCache<T> {
  /**
   * The entry for `key`, or what `load` reads, stored unless something was dropped meanwhile. An
   * undefined answer (an unknown id) is never stored.
   */
  through<V extends T | undefined>(key: string, load: () => Promise<V>): Promise<V>;
  drop(key: string): void;
  clear(): void;
  /** Rewrites every entry in place (keeping its age). */
  rewrite(fn: (value: T) => T): void;
}

interface Entry<T> {
  value: T;
  at: number;
}

export function noticeCache<T>(
  healthy: () => boolean,
  clock: Clock,
  options: NoticeCacheOptions,
): NoticeCache<T> {
  const { maxEntries = 10_000, otherCommits, onLookup } = options;
  const entries = new Map<string, Entry<T>>();
  let seenCommits = otherCommits?.();
  // Bumped by every drop: a read that started before a drop must not store what it read.
  let generation = 0;
  const clear = (): void => {
    generation++;
    entries.clear();
  };
  const get = (key: string): T | undefined => {
    // Which rows another process changed is unknown: all go. Its commits are seen within 100 ms
    // (DESIGN.md allows 1 s across instances).
    if (otherCommits && otherCommits() !== seenCommits) {
      seenCommits = otherCommits();
      clear();
    }
    const entry = entries.get(key);
    if (!entry) return undefined;
    const age = clock() - entry.at;
    if (age >= 0 && age < (healthy() ? options.ttlMs : options.degradedTtlMs)) return entry.value;
    entries.delete(key);
    return undefined;
  };
  return {
    async through<V extends T | undefined>(key: string, load: () => Promise<V>): Promise<V> {
      const cached = get(key);
      onLookup?.(cached !== undefined);
      // A stored value is what `load` answered for this key (never undefined).
      if (cached !== undefined) return cached as V;
      const stamp = generation;
      const value = await load();
      if (value === undefined || stamp !== generation) return value;
      entries.delete(key);
      // Oldest first in a Map's order: drop the oldest rather than grow without bound.
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(key, { value, at: clock() });
      return value;
    },
    drop(key) {
      generation++;
      entries.delete(key);
    },
    clear,
    rewrite(fn) {
      for (const entry of entries.values()) entry.value = fn(entry.value);
    },
  };
}
