import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import { type ChangeNotices, encodeNotice, handlers, receiver } from './change-notices.ts';

/** One channel per database: NOTIFY never leaves the database it was sent in, so environments stay apart. */
export const noticeChannel = 'latchkey_changes';

export interface PgNoticeOptions {
  /** How often the listening connection is asked to answer; one that misses a beat is replaced. */
  heartbeatMs?: number;
  /** The longest wait between two attempts to listen again. */
  maxBackoffMs?: number;
}

/**
 * Change notices through PostgreSQL's LISTEN/NOTIFY, for instances that share a database and no
 * Redis. Like Redis pub/sub, NOTIFY reaches only the sessions listening at that moment: notices sent
 * while this instance's listening connection is away are lost, so every (re)connection is followed
 * by a 'reset', and caches keep short lifetimes while it is away (healthy() is false).
 *
 * The listening connection is a client of its own, not one of the store's pool: it must stay open
 * between queries. Notices are sent with pg_notify on a second connection, kept only while in use
 * (changes are rare), after the commit of the change they announce.
 */
export function pgChangeNotices(location: string, log: Logger, options: PgNoticeOptions = {}): ChangeNotices {
  const { heartbeatMs = 1_000, maxBackoffMs = 2_000 } = options;
  const local = handlers();
  // Our own notices come back to our listening connection; they were delivered here already.
  const origin = randomUUID();
  const receive = receiver(origin, local.deliver, log);
  const sender = new pg.Pool({
    connectionString: location,
    max: 1,
    idleTimeoutMillis: 10_000,
    connectionTimeoutMillis: 2_000,
  });
  // An idle sending connection whose server went away: the pool drops it and the next notice reconnects.
  sender.on('error', () => {});

  let listener: pg.Client | undefined;
  let listening = false;
  let connecting: Promise<void> | undefined;
  let retry: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let failures = 0;
  let warned = false;
  let listened = false;
  let started = false;
  let closed = false;

  async function listen(): Promise<void> {
    retry = undefined;
    const client = new pg.Client({
      connectionString: location,
      connectionTimeoutMillis: 2_000,
      keepAlive: true,
      application_name: 'latchkey notices',
    });
    listener = client;
    client.on('notification', (n) => {
      if (n.channel === noticeChannel && n.payload !== undefined) receive(n.payload);
    });
    client.on('error', (error) => lost(client, error));
    client.on('end', () => lost(client, new Error('the listening connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${noticeChannel}`);
    } catch (error) {
      lost(client, error);
      return;
    }
    if (listener !== client) return; // lost meanwhile, or closed
    listening = true;
    listened = true;
    failures = 0;
    if (warned) log.info('change notices from PostgreSQL flow again');
    warned = false;
    // Whatever was announced while this connection was away never arrives: drop all that is cached.
    local.deliver('reset');
  }

  function lost(client: pg.Client, error: unknown): void {
    if (listener !== client) return; // already replaced
    listener = undefined;
    listening = false;
    client.end().catch(() => {});
    if (closed) return;
    // A database unreachable at start is reported by the start itself: the first connection is
    // only reported if it keeps failing (five attempts, about 2 s) while the process goes on.
    if (!warned && (listened || failures >= 4)) {
      warned = true;
      log.warn(
        { err: error },
        'change notices from PostgreSQL stopped: cached clients and token statuses live 1 s until they return',
      );
    }
    const delay = Math.min(maxBackoffMs, 100 * 2 ** failures++);
    retry = setTimeout(() => {
      connecting = listen();
    }, delay).unref();
  }

  // A connection that died without a word (a dropped route, a firewall's idle timeout) would
  // otherwise count as listening while no notice can reach it.
  let awaiting: pg.Client | undefined;
  function beat(): void {
    const client = listener;
    if (!client || !listening) return;
    if (awaiting === client) {
      lost(client, new Error(`the listening connection did not answer within ${heartbeatMs} ms`));
      return;
    }
    awaiting = client;
    client.query('SELECT 1').then(
      () => {
        if (awaiting === client) awaiting = undefined;
      },
      (error) => lost(client, error),
    );
  }

  return {
    shared: true,
    healthy: () => listening,
    async publish(kind, id) {
      local.deliver({ kind, id });
      try {
        await sender.query('SELECT pg_notify($1, $2)', [noticeChannel, encodeNotice(origin, kind, id)]);
      } catch (error) {
        // The change is committed; other instances see it when their caches' lifetimes run out.
        log.warn({ err: error, kind }, 'a change notice could not be sent through PostgreSQL');
      }
    },
    subscribe(handler) {
      if (!started && !closed) {
        started = true;
        connecting = listen();
        heartbeat = setInterval(beat, heartbeatMs).unref();
      }
      return local.add(handler);
    },
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(retry);
      clearInterval(heartbeat);
      await connecting;
      const client = listener;
      listener = undefined;
      listening = false;
      await client?.end().catch(() => {});
      await sender.end();
    },
  };
}
