import type { Kysely } from 'kysely';
import { newSortableId } from '../crypto.ts';
import type { Connection, Grant, GrantRepository } from '../oauth/model/grants.ts';
import { atomically, type OutboxRepository } from './outbox.ts';
import { afterCursor, toPage } from './pages.ts';
import { arg, type Prepared, prepare } from './prepared.ts';
import type { Database } from './schema.ts';

/**
 * Marks an active grant used; changes no row when it is revoked or gone. One statement for both, so
 * the code exchange and refresh check and touch their grant in their own transaction.
 */
export const touchActiveGrant = (db: Kysely<Database>): Prepared<unknown, [id: string, at: number]> =>
  prepare(db, () =>
    db
      .updateTable('grants')
      .set({ last_used_at: arg<number>(1) })
      .where('id', '=', arg<string>(0))
      .where('revoked_at', 'is', null),
  );

/** The `data` of the grant.* webhooks. */
const grantEvent = (g: Pick<Grant, 'id' | 'clientId' | 'userId' | 'orgId'>) => ({
  id: g.id,
  client_id: g.clientId,
  user_id: g.userId,
  organization_id: g.orgId,
});

const toGrant = (r: Database['grants']): Grant => ({
  id: r.id,
  clientId: r.client_id,
  userId: r.user_id,
  orgId: r.org_id,
  scope: r.scope,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
  ...(r.auth_time !== null && { authTime: r.auth_time }),
});

/**
 * `outbox(tx)` gives the webhook outbox over a transaction: grant.created and grant.revoked are
 * queued here, with the change, whoever makes it (consent, code replay, refresh reuse, the
 * connected-apps page, the admin API).
 */
export function grantRepository(
  db: Kysely<Database>,
  outbox: (tx: Kysely<Database>) => OutboxRepository,
): GrantRepository {
  const revokeIds = async (tx: Kysely<Database>, grants: Database['grants'][], at: number) => {
    const ids = grants.map((g) => g.id);
    if (ids.length === 0) return;
    await tx.updateTable('grants').set({ revoked_at: at }).where('id', 'in', ids).execute();
    await tx
      .updateTable('refresh_tokens')
      .set({ revoked_at: at })
      .where('grant_id', 'in', ids)
      .where('revoked_at', 'is', null)
      .execute();
    for (const g of grants) await outbox(tx).add('grant.revoked', grantEvent(toGrant(g)));
  };
  const active = (tx: Kysely<Database>) =>
    tx.selectFrom('grants').selectAll().where('revoked_at', 'is', null);
  // Hot-path queries (code exchange, refresh, introspection), compiled once (prepared.ts).
  const revokedAt = prepare(db, () =>
    db.selectFrom('grants').select('revoked_at').where('id', '=', arg<string>(0)),
  );
  const findById = prepare(db, () => db.selectFrom('grants').selectAll().where('id', '=', arg<string>(0)));
  const touch = prepare(db, () =>
    db
      .updateTable('grants')
      .set({ last_used_at: arg<number>(1) })
      .where('id', '=', arg<string>(0)),
  );
  return {
    async isActive(id) {
      const [r] = (await revokedAt(id)).rows;
      return r !== undefined && r.revoked_at === null;
    },
    async create(g, at) {
      const row = {
        id: newSortableId(),
        client_id: g.clientId,
        user_id: g.userId,
        org_id: g.orgId,
        scope: g.scope,
        created_at: at,
        last_used_at: null,
        revoked_at: null,
        auth_time: g.authTime ?? null,
      };
      const grant = toGrant(row);
      await atomically(db, async (tx) => {
        await tx.insertInto('grants').values(row).execute();
        await outbox(tx).add('grant.created', { ...grantEvent(grant), scope: g.scope });
      });
      return grant;
    },
    async find(id) {
      const [r] = (await findById(id)).rows;
      return r && toGrant(r);
    },
    async activeFor(userId, clientId) {
      const rows = await db
        .selectFrom('grants')
        .selectAll()
        .where('user_id', '=', userId)
        .where('client_id', '=', clientId)
        .where('revoked_at', 'is', null)
        .execute();
      return rows.map(toGrant);
    },
    async touch(id, at) {
      await touch(id, at);
    },
    async revoke(id, at) {
      await atomically(db, async (tx) => {
        await revokeIds(tx, await active(tx).where('id', '=', id).execute(), at);
        // Refresh tokens of a grant revoked earlier may still be live (families revoked one by one).
        await tx
          .updateTable('refresh_tokens')
          .set({ revoked_at: at })
          .where('grant_id', '=', id)
          .where('revoked_at', 'is', null)
          .execute();
      });
    },
    async revokeConnection(c, at) {
      return atomically(db, async (tx) => {
        const grants = await active(tx)
          .where('client_id', '=', c.clientId)
          .where('user_id', '=', c.userId)
          .where('org_id', '=', c.orgId)
          .execute();
        await revokeIds(tx, grants, at);
        return grants.length;
      });
    },
    async revokeMemberGrants(m, at) {
      return atomically(db, async (tx) => {
        const grants = await active(tx)
          .where('user_id', '=', m.userId)
          .where('org_id', '=', m.orgId)
          .execute();
        await revokeIds(tx, grants, at);
        return grants.map((g) => ({ ...toGrant(g), revokedAt: at }));
      });
    },
    async revokeClientGrants(clientId, at) {
      return atomically(db, async (tx) => {
        const grants = await active(tx).where('client_id', '=', clientId).execute();
        await revokeIds(tx, grants, at);
        return grants.map((g) => ({ ...toGrant(g), revokedAt: at }));
      });
    },
    async page(orgId, { limit, after }) {
      let q = db
        .selectFrom('grants')
        .selectAll()
        .where('org_id', '=', orgId)
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit + 1);
      if (after) q = q.where(afterCursor('grants', after));
      return toPage((await q.execute()).map(toGrant), limit, (g) => ({ createdAt: g.createdAt, id: g.id }));
    },
    async connections({ orgId, userId }) {
      let q = db
        .selectFrom('grants')
        .innerJoin('clients', 'clients.id', 'grants.client_id')
        .innerJoin('users', 'users.id', 'grants.user_id')
        .select([
          'grants.client_id',
          'clients.name',
          'clients.org_id as client_org_id',
          'grants.user_id',
          'users.email',
          'grants.org_id',
          'grants.scope',
          'grants.created_at',
          'grants.last_used_at',
        ])
        .where('grants.org_id', '=', orgId)
        .where('grants.revoked_at', 'is', null)
        .orderBy('grants.created_at');
      if (userId) q = q.where('grants.user_id', '=', userId);
      const byKey = new Map<string, Connection>();
      for (const r of await q.execute()) {
        const key = `${r.client_id} ${r.user_id}`;
        const c = byKey.get(key);
        const scopes = r.scope.split(' ').filter(Boolean);
        if (!c) {
          byKey.set(key, {
            clientId: r.client_id,
            clientName: r.name,
            selfRegistered: r.client_org_id === null,
            userId: r.user_id,
            email: r.email,
            orgId: r.org_id,
            scopes,
            connectedAt: r.created_at,
            lastUsedAt: r.last_used_at,
          });
          continue;
        }
        c.scopes = [...new Set([...c.scopes, ...scopes])];
        if (r.last_used_at !== null && (c.lastUsedAt === null || r.last_used_at > c.lastUsedAt))
          c.lastUsedAt = r.last_used_at;
      }
      return [...byKey.values()].sort(
        (a, b) => a.clientName.localeCompare(b.clientName) || a.email.localeCompare(b.email),
      );
    },
  };
}
