import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Outbox } from '../oauth/model/outbox.ts';
import type { Database } from './schema.ts';

export interface OutboxMessage {
  /** The `webhook-id`: the same at every attempt, so the receiver can drop duplicates. */
  id: string;
  type: string;
  /** The exact body to send. */
  payload: string;
  attempts: number;
  createdAt: number;
}

/** The outbox as the delivery loop sees it, besides the `add` the core writes through. */
export interface OutboxRepository extends Outbox {
  /**
   * Leases up to `limit` due messages to `owner` until `now + leaseMs`. A message leased by someone
   * else is skipped until its lease runs out (that instance died or hangs): one sender at a time.
   */
  claim(owner: string, now: number, leaseMs: number, limit: number): Promise<OutboxMessage[]>;
  delivered(id: string, owner: string, at: number): Promise<void>;
  /** Schedules another attempt at `nextAt` and releases the lease. */
  retry(id: string, owner: string, nextAt: number, error: string): Promise<void>;
  /** Gives up on the message (it stays, with `failed_at`, for the operator to see). */
  failed(id: string, owner: string, at: number, error: string): Promise<void>;
}

export function outboxRepository(db: Kysely<Database>, clock: Clock, enabled: boolean): OutboxRepository {
  const release = (id: string, owner: string) =>
    db.updateTable('webhook_outbox').where('id', '=', id).where('lease_owner', '=', owner);
  return {
    async add(type, data) {
      if (!enabled) return;
      const now = clock();
      const payload = JSON.stringify({ type, timestamp: new Date(now).toISOString(), data });
      await db
        .insertInto('webhook_outbox')
        .values({
          id: `msg_${randomUUID().replaceAll('-', '')}`,
          type,
          payload,
          created_at: now,
          attempts: 0,
          next_attempt_at: now,
          lease_owner: null,
          lease_until: null,
          delivered_at: null,
          failed_at: null,
          last_error: null,
        })
        .execute();
    },
    async claim(owner, now, leaseMs, limit) {
      const due = db
        .selectFrom('webhook_outbox')
        .select('id')
        .where('delivered_at', 'is', null)
        .where('failed_at', 'is', null)
        .where('next_attempt_at', '<=', now)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit);
      // The lease condition is repeated on the UPDATE itself: PostgreSQL re-checks it on the row it
      // locks, so of two instances racing for a row only one sees it free (READ COMMITTED).
      await db
        .updateTable('webhook_outbox')
        .set({ lease_owner: owner, lease_until: now + leaseMs })
        .where('id', 'in', due)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .where('delivered_at', 'is', null)
        .execute();
      const rows = await db
        .selectFrom('webhook_outbox')
        .select(['id', 'type', 'payload', 'attempts', 'created_at'])
        .where('lease_owner', '=', owner)
        .where('lease_until', '=', now + leaseMs)
        .where('delivered_at', 'is', null)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map((r) => ({
        id: r.id,
        type: r.type,
        payload: r.payload,
        attempts: r.attempts,
        createdAt: r.created_at,
      }));
    },
    async delivered(id, owner, at) {
      await release(id, owner)
        .set((eb) => ({ delivered_at: at, attempts: eb('attempts', '+', 1), lease_until: null }))
        .execute();
    },
    async retry(id, owner, nextAt, error) {
      await release(id, owner)
        .set((eb) => ({
          next_attempt_at: nextAt,
          attempts: eb('attempts', '+', 1),
          last_error: error.slice(0, 500),
          lease_until: null,
        }))
        .execute();
    },
    async failed(id, owner, at, error) {
      await release(id, owner)
        .set((eb) => ({
          failed_at: at,
          attempts: eb('attempts', '+', 1),
          last_error: error.slice(0, 500),
          lease_until: null,
        }))
        .execute();
    },
  };
}

/** Runs `fn` in a transaction, or inside the one `db` already is (Kysely transactions do not nest). */
export const atomically = <T>(db: Kysely<Database>, fn: (tx: Kysely<Database>) => Promise<T>): Promise<T> =>
  db.isTransaction ? fn(db) : db.transaction().execute(fn);
