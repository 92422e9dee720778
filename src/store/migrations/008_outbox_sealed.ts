import type { Kysely } from 'kysely';

type Outbox = {
  webhook_outbox: {
    id: string;
    type: string;
    payload: string;
    delivered_at: number | null;
    failed_at: number | null;
  };
};

/**
 * Bearer secrets in webhook events (the invitation link of `member.invited`) leave the stored payload:
 * they wait in `sealed`, encrypted, until delivered (src/store/outbox.ts). Events sent or given up
 * before this lose the link they kept in clear. Every process now writes the outbox, webhook URL or
 * not, and housekeeping deletes events a week old: an index on `created_at` finds them.
 */
export async function up(db: Kysely<Outbox>): Promise<void> {
  await db.schema.alterTable('webhook_outbox').addColumn('sealed', 'text').execute();
  await db.schema.createIndex('webhook_outbox_created').on('webhook_outbox').column('created_at').execute();
  const done = await db
    .selectFrom('webhook_outbox')
    .select(['id', 'payload'])
    .where('type', '=', 'member.invited')
    .where((eb) => eb.or([eb('delivered_at', 'is not', null), eb('failed_at', 'is not', null)]))
    .execute();
  for (const row of done) {
    const body = JSON.parse(row.payload) as { data?: { url?: string } };
    delete body.data?.url;
    await db
      .updateTable('webhook_outbox')
      .set({ payload: JSON.stringify(body) })
      .where('id', '=', row.id)
      .execute();
  }
}

export async function down(db: Kysely<Outbox>): Promise<void> {
  await db.schema.dropIndex('webhook_outbox_created').execute();
  await db.schema.alterTable('webhook_outbox').dropColumn('sealed').execute();
}
