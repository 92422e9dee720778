import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { SharedRedis } from './redis.ts';

/**
 * `client`: a client or its secrets changed or it was deleted (id = client id); `keys`: signing keys
 * rotated; `grants`: an access token that was active may no longer be (a revocation, a grant ended,
 * a person, membership, organization or client gone; id `*`: which tokens is not said); `counted`: a
 * rate-limit counter shared through Redis got its first count of its window (id = the counter,
 * ../ratelimit/shared-counts.ts).
 */
export type ChangeKind = 'client' | 'keys' | 'grants' | 'counted';
export interface ChangeNotice {
  kind: ChangeKind;
  id: string;
}
/** A notice, or 'reset': notices may have been missed (Redis reconnected), so drop everything cached. */
export type NoticeHandler = (notice: ChangeNotice | 'reset') => void;

/** Tells every cache of every instance that something it may hold has changed. */
export interface ChangeNotices {
  /** Whether notices reach other processes (Redis or PostgreSQL); false: only this process hears them. */
  readonly shared: boolean;
  /** Whether notices flow right now; caches keep entries for less time while they do not. */
  healthy(): boolean;
  /** Delivers to this process's handlers at once, then to the other instances. Never throws. */
  publish(kind: ChangeKind, id: string): Promise<void>;
  /** Returns the unsubscribe function. */
  subscribe(handler: NoticeHandler): () => void;
  close(): Promise<void>;
}

/** This process's handlers: where every implementation delivers. */
export function handlers() {
  const set = new Set<NoticeHandler>();
  return {
    add(handler: NoticeHandler): () => void {
      set.add(handler);
      return () => set.delete(handler);
    },
    deliver(notice: ChangeNotice | 'reset'): void {
      for (const handler of set) handler(notice);
    },
  };
}

/** One instance: notices stay in this process. */
export function localChangeNotices(): ChangeNotices {
  const local = handlers();
  return {
    shared: false,
    healthy: () => true,
    async publish(kind, id) {
      local.deliver({ kind, id });
    },
    subscribe: local.add,
    async close() {},
  };
}

const kinds = new Set<string>(['client', 'keys', 'grants', 'counted']);

/** A notice as it travels between processes; `origin` tells a process its own notices apart. */
export const encodeNotice = (origin: string, kind: ChangeKind, id: string): string =>
  JSON.stringify({ o: origin, k: kind, i: id });

/**
 * Turns messages from the wire into notices for `deliver`: another process's notices of a known kind
 * only. Whatever else arrives on the channel (our own, a newer version's kind, garbage) is dropped.
 */
export function receiver(origin: string, deliver: NoticeHandler, log: Logger): (message: string) => void {
  return (message) => {
    try {
      const m = JSON.parse(message) as { o?: unknown; k?: unknown; i?: unknown };
      if (m.o === origin || typeof m.k !== 'string' || !kinds.has(m.k) || typeof m.i !== 'string') return;
      deliver({ kind: m.k as ChangeKind, id: m.i });
    } catch {
      log.warn('ignored a malformed change notice');
    }
  };
}

/**
 * Notices through Redis pub/sub. Pub/sub delivers at most once: a notice published while an
 * instance's subscriber is reconnecting is lost, so every (re)subscription is followed by a 'reset'
 * and caches keep short lifetimes while Redis is away.
 */
export function redisChangeNotices(redis: SharedRedis, log: Logger): ChangeNotices {
  const local = handlers();
  // Per environment (LATCHKEY_REDIS_PREFIX): a stage server must not drop production's caches.
  const channel = `${redis.prefix}changes`;
  // Our own notices come back from Redis; they were delivered here already.
  const origin = randomUUID();
  let subscribed = false;
  // Whether the subscription is live: from our SUBSCRIBE's answer until the connection closes.
  let listening = false;

  function listen(): void {
    if (subscribed) return;
    subscribed = true;
    const sub = redis.subscriber();
    // At every (re)connection: subscribe (ioredis does not do it again itself), then drop what
    // caches hold, since notices sent while this connection was away never arrive.
    sub.on('ready', () => {
      sub.subscribe(channel).then(
        () => {
          listening = true;
          local.deliver('reset');
        },
        () => {}, // Away again: SharedRedis has warned; the next 'ready' tries again.
      );
    });
    sub.on('close', () => {
      listening = false;
    });
    const receive = receiver(origin, local.deliver, log);
    sub.on('message', (_channel: string, message: string) => receive(message));
  }

  return {
    shared: true,
    healthy: () => redis.state() === 'ok' && (listening || !subscribed),
    async publish(kind, id) {
      local.deliver({ kind, id });
      await redis.use(
        (r) => r.publish(channel, encodeNotice(origin, kind, id)),
        () => 0,
      );
    },
    subscribe(handler) {
      listen();
      return local.add(handler);
    },
    async close() {},
  };
}
