import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** Token requests of one client in one minute, as counted in memory by the console. */
export interface ActivityCounts {
  clientId: string;
  /** Start of the minute, epoch milliseconds. */
  minute: number;
  issued: number;
  rateLimited: number;
}

export interface ActivityRepository {
  /** Adds the counts to what is stored (several instances each add their own). */
  add(counts: readonly ActivityCounts[]): Promise<void>;
  /** Sums of the buckets whose minute overlaps [since, now]. */
  totals(clientId: string, since: number): Promise<{ issued: number; rateLimited: number }>;
  deleteForClient(clientId: string): Promise<void>;
  /** Drops buckets that start before `before`. */
  prune(before: number): Promise<void>;
}

/** Rows per INSERT: well under SQLite's 999 bound variables (4 per row). */
const batch = 200;

export function activityRepository(db: Kysely<Database>): ActivityRepository {
  return {
    async add(counts) {
      for (let i = 0; i < counts.length; i += batch) {
        const rows = counts.slice(i, i + batch).map((c) => ({
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
    },
    async totals(clientId, since) {
      const r = await db
        .selectFrom('client_activity')
        .select((eb) => [
          eb.fn.coalesce(eb.fn.sum<number>('tokens_issued'), eb.lit(0)).as('issued'),
          eb.fn.coalesce(eb.fn.sum<number>('rate_limited'), eb.lit(0)).as('limited'),
        ])
        .where('client_id', '=', clientId)
        // A bucket counts when its minute overlaps the window.
        .where('minute', '>', since - 60_000)
        .executeTakeFirst();
      // PostgreSQL returns SUM of integers as bigint (and of bigints as numeric, a string).
      return { issued: Number(r?.issued ?? 0), rateLimited: Number(r?.limited ?? 0) };
    },
    async deleteForClient(clientId) {
      await db.deleteFrom('client_activity').where('client_id', '=', clientId).execute();
    },
    async prune(before) {
      await db.deleteFrom('client_activity').where('minute', '<', before).execute();
    },
  };
}
