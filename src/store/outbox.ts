import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Outbox } from '../oauth/model/outbox.ts';
import { seal, unseal } from './outbox-seal.ts';
import type { Database } from './schema.ts';

export interface OutboxMessage {
  /** The `webhook-id`: the same at every attempt, so the receiver can drop duplicates. */
  id: string;
  type: string;
  /** The exact body to send. */
  payload: string;
  attempts: number;
  createdAt: number;
  /** Sealed fields that could not be opened (the webhook secret changed since): sent without them. */
  unsealable: boolean;
}

/** Undelivered messages wait this long for a server with LATCHKEY_WEBHOOK_URL; then they go. */
export const outboxKeptMs = 7 * 86_400_000;

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
  /** When the oldest message still waiting was made (for /metrics); undefined when none waits. */
  oldestPending(): Promise<number | undefined>;
  /** Deletes the messages made before `before`, sent or not; says how many were never delivered. */
  prune(before: number): Promise<{ deleted: number; undelivered: number }>;
}

/** The body to send: the stored payload with the opened fields in its `data`. */
function withSealed(payload: string, fields: Record<string, string>): string {
  const body = JSON.parse(payload) as { data: Record<string, unknown> };
  return JSON.stringify({ ...body, data: { ...body.data, ...fields } });
}

/** `sealKey`: from `outboxSealKey(LATCHKEY_WEBHOOK_SECRET)` when this process has that secret. */
export function outboxRepository(
  db: Kysely<Database>,
  clock: Clock,
  sealKey: Buffer | undefined,
): OutboxRepository {
  const release = (id: string, owner: string) =>
    db.updateTable('webhook_outbox').where('id', '=', id).where('lease_owner', '=', owner);
  return {
    async add(type, data, sealed) {
      const now = clock();
      const id = `msg_${randomUUID().replaceAll('-', '')}`;
      const payload = JSON.stringify({ type, timestamp: new Date(now).toISOString(), data });
      await db
        .insertInto('webhook_outbox')
        .values({
          id,
          type,
          payload,
          sealed: sealed && sealKey ? seal(sealKey, id, sealed) : null,
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
        .select(['id', 'type', 'payload', 'sealed', 'attempts', 'created_at'])
        .where('lease_owner', '=', owner)
        .where('lease_until', '=', now + leaseMs)
        .where('delivered_at', 'is', null)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map((r) => {
        const opened = r.sealed === null ? {} : unseal(sealKey, r.id, r.sealed);
        return {
          id: r.id,
          type: r.type,
          payload: opened ? withSealed(r.payload, opened) : r.payload,
          attempts: r.attempts,
          createdAt: r.created_at,
          unsealable: opened === undefined,
        };
      });
    },
    async delivered(id, owner, at) {
      await release(id, owner)
        .set((eb) => ({
          delivered_at: at,
          attempts: eb('attempts', '+', 1),
          lease_until: null,
          sealed: null,
        }))
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
          sealed: null,
        }))
        .execute();
    },
    async oldestPending() {
      const row = await db
        .selectFrom('webhook_outbox')
        .select('created_at')
        .where('delivered_at', 'is', null)
        .where('failed_at', 'is', null)
        .orderBy('created_at')
        .limit(1)
        .executeTakeFirst();
      return row?.created_at;
    },
    async prune(before) {
      const old = db.selectFrom('webhook_outbox').where('created_at', '<', before);
      const { undelivered } = await old
        .select((eb) => eb.fn.countAll<number | string>().as('undelivered'))
        .where('delivered_at', 'is', null)
        .where('failed_at', 'is', null)
        .executeTakeFirstOrThrow();
      const deleted = await db
        .deleteFrom('webhook_outbox')
        .where('created_at', '<', before)
        .executeTakeFirst();
      return { deleted: Number(deleted.numDeletedRows), undelivered: Number(undelivered) };
    },
  };
}

/** Runs `fn` in a transaction, or inside the one `db` already is (Kysely transactions do not nest). */
export const atomically = <T>(db: Kysely<Database>, fn: (tx: Kysely<Database>) => Promise<T>): Promise<T> =>
  db.isTransaction ? fn(db) : db.transaction().execute(fn);
