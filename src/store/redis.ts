import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * The one Redis connection an instance shares its state through (rate limits, one-time form tokens,
 * change notices), plus a second one for SUBSCRIBE (a subscribed connection can run nothing else).
 *
 * Redis is not allowed to take the instance down: while it does not answer, every user falls back to
 * what this process knows, and the instance says so in one warning per outage (not one per user or
 * per request), and one line when it is back.
 */
export interface SharedRedis {
  readonly client: Redis;
  /** Starts every key and channel name (LATCHKEY_REDIS_PREFIX): environments sharing a Redis never meet. */
  readonly prefix: string;
  /** The connection for SUBSCRIBE, opened at the first call. */
  subscriber(): Redis;
  state(): 'ok' | 'degraded';
  /** Runs `op` on Redis; when Redis does not answer, marks the outage and returns `fallback()`. */
  use<T>(op: (redis: Redis) => Promise<T>, fallback: () => T | Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function connectRedis(url: string, prefix: string, log: Logger): SharedRedis {
  const options = {
    // Fail a command at the first lost connection instead of holding the request while reconnecting.
    maxRetriesPerRequest: 0,
    commandTimeout: 1_000,
    // Commands sent in the same tick (a token request's two failure-count reads, several requests'
    // limit scripts) go out in one write: fewer system calls per request.
    enableAutoPipelining: true,
    // No CLIENT SETINFO at each connection: Redis before 7.2 refuses it (two commands that fail at
    // every connection), and it is in ioredis's reports of rejections at quit (ioredis issue #2025).
    disableClientInfo: true,
  };
  const client = new Redis(url, options);
  let sub: Redis | undefined;
  let degraded = false;
  let closing = false;

  const degrade = (error: unknown): void => {
    if (degraded || closing) return;
    degraded = true;
    log.warn(
      { err: error },
      'Redis is unreachable: rate limits are counted in this instance and cached clients and keys expire sooner, until it returns',
    );
  };
  const recover = (): void => {
    // Back only when every connection is: a subscriber still away could miss change notices.
    if (!degraded || client.status !== 'ready' || (sub && sub.status !== 'ready')) return;
    degraded = false;
    log.info('Redis is reachable again: state is shared again');
  };
  const watch = (connection: Redis): void => {
    connection.on('error', degrade);
    connection.on('reconnecting', () => degrade(new Error('connection to Redis lost')));
    connection.on('ready', recover);
  };
  watch(client);

  return {
    client,
    prefix,
    subscriber() {
      if (!sub) {
        // No command timeout: a subscribed connection waits for messages, it never gets replies.
        // No resubscription by ioredis either: its SUBSCRIBE's promise is nobody's, so a close before
        // the answer would be an unhandled rejection. Whoever subscribes does it again at each 'ready'.
        sub = new Redis(url, { maxRetriesPerRequest: 0, disableClientInfo: true, autoResubscribe: false });
        watch(sub);
      }
      return sub;
    },
    state: () => (degraded ? 'degraded' : 'ok'),
    async use(op, fallback) {
      if (degraded && client.status !== 'ready') return fallback();
      try {
        const value = await op(client);
        recover();
        return value;
      } catch (error) {
        degrade(error);
        return fallback();
      }
    },
    async close() {
      closing = true;
      for (const connection of [client, sub]) {
        if (!connection) continue;
        if (connection.status === 'ready') await connection.quit().catch(() => connection.disconnect());
        else connection.disconnect();
      }
    },
  };
}
