import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import { newId } from '../crypto.ts';
import type {
  AccountRepository,
  Member,
  MemberChange,
  Organization,
  Role,
  User,
} from '../oauth/model/accounts.ts';
import { atomically } from './outbox.ts';
import { afterCursor, toPage } from './pages.ts';
import type { Database } from './schema.ts';

/**
 * Text is sorted here, not by ORDER BY: PostgreSQL sorts by the database's collation (often
 * case-insensitive), SQLite by bytes, and a person must see the same order on either.
 */
const byText = (a: string, b: string): number => a.localeCompare(b, 'en') || (a < b ? -1 : a > b ? 1 : 0);

export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

export function accountRepository(db: Kysely<Database>, clock: Clock): AccountRepository {
  const memberRows = () =>
    db
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .select([
        'memberships.user_id',
        'users.email',
        'users.name',
        'memberships.role',
        'memberships.created_at',
      ]);
  const toMember = (r: {
    user_id: string;
    email: string;
    name: string | null;
    role: Role;
    created_at: number;
  }): Member => ({ userId: r.user_id, email: r.email, name: r.name, role: r.role, since: r.created_at });
  const toUser = (r: {
    id: string;
    email: string;
    password_hash: string;
    name?: string | null;
    external_id?: string | null;
    created_at: number;
  }): User => ({
    id: r.id,
    email: r.email,
    passwordHash: r.password_hash,
    name: r.name ?? null,
    externalId: r.external_id ?? null,
    createdAt: r.created_at,
  });
  const toOrganization = (r: {
    id: string;
    name: string;
    external_id: string | null;
    created_at: number;
  }): Organization => ({ id: r.id, name: r.name, externalId: r.external_id, createdAt: r.created_at });
  const key = (item: { id: string; createdAt: number }) => ({ createdAt: item.createdAt, id: item.id });
  /**
   * Runs `change` unless it would leave the organization without an admin. One transaction (the
   * caller's, inside store.transaction), so the count and the change agree (SQLite serialises
   * writers; on PostgreSQL two admins demoting each other at the same instant could still both pass:
   * acceptable for a console action).
   */
  const unlessLastAdmin = (
    orgId: string,
    userId: string,
    demotes: boolean,
    change: (tx: Kysely<Database>) => Promise<void>,
  ): Promise<MemberChange> =>
    atomically(db, async (tx) => {
      const current = await tx
        .selectFrom('memberships')
        .select('role')
        .where('org_id', '=', orgId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (!current) return 'not_member';
      if (current.role === 'admin' && demotes) {
        const admins = await tx
          .selectFrom('memberships')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('org_id', '=', orgId)
          .where('role', '=', 'admin')
          .executeTakeFirstOrThrow();
        if (Number(admins.n) <= 1) return 'last_admin';
      }
      await change(tx);
      return 'done';
    });
  return {
    async createOrganization(name, externalId = null) {
      const org = { id: newId(), name, external_id: externalId, created_at: clock() };
      await db.insertInto('organizations').values(org).execute();
      return toOrganization(org);
    },
    async findOrganization(id) {
      const r = await db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toOrganization(r);
    },
    async listOrganizations({ limit, after }, filter = {}) {
      let q = db
        .selectFrom('organizations')
        .selectAll()
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit + 1);
      if (filter.externalId !== undefined) q = q.where('external_id', '=', filter.externalId);
      if (after) q = q.where(afterCursor('organizations', after));
      return toPage((await q.execute()).map(toOrganization), limit, key);
    },
    async updateOrganization(id, u) {
      if (u.name === undefined && u.externalId === undefined) {
        const r = await db.selectFrom('organizations').select('id').where('id', '=', id).executeTakeFirst();
        return r !== undefined;
      }
      const r = await db
        .updateTable('organizations')
        .set({
          ...(u.name !== undefined && { name: u.name }),
          ...(u.externalId !== undefined && { external_id: u.externalId }),
        })
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async deleteOrganization(id) {
      const r = await db.deleteFrom('organizations').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async countOrganizations() {
      const r = await db
        .selectFrom('organizations')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async createUser(email, passwordHash, profile = {}) {
      const row = {
        id: newId(),
        email: normalizeEmail(email),
        password_hash: passwordHash,
        name: profile.name ?? null,
        external_id: profile.externalId ?? null,
        created_at: clock(),
      };
      await db.insertInto('users').values(row).execute();
      return toUser(row);
    },
    async listUsers({ limit, after }, filter = {}) {
      let q = db
        .selectFrom('users')
        .selectAll()
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit + 1);
      if (filter.email !== undefined) q = q.where('email', '=', normalizeEmail(filter.email));
      if (filter.externalId !== undefined) q = q.where('external_id', '=', filter.externalId);
      if (after) q = q.where(afterCursor('users', after));
      return toPage((await q.execute()).map(toUser), limit, key);
    },
    async deleteUser(id) {
      const r = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async setUserName(userId, name) {
      await db.updateTable('users').set({ name }).where('id', '=', userId).execute();
    },
    async findUserByEmail(email) {
      const r = await db
        .selectFrom('users')
        .selectAll()
        .where('email', '=', normalizeEmail(email))
        .executeTakeFirst();
      return r && toUser(r);
    },
    async findUser(id) {
      const r = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toUser(r);
    },
    async findUsers(ids) {
      if (ids.length === 0) return [];
      const rows = await db
        .selectFrom('users')
        .selectAll()
        .where('id', 'in', [...ids])
        .execute();
      return rows.map(toUser);
    },
    async addMembership(orgId, userId, role) {
      await db
        .insertInto('memberships')
        .values({ org_id: orgId, user_id: userId, role, created_at: clock() })
        .onConflict((oc) => oc.columns(['org_id', 'user_id']).doUpdateSet({ role }))
        .execute();
    },
    async findMembership(orgId, userId) {
      const r = await memberRows()
        .where('memberships.org_id', '=', orgId)
        .where('memberships.user_id', '=', userId)
        .executeTakeFirst();
      return r && toMember(r);
    },
    async listMembers(orgId, { limit, after }) {
      let q = memberRows()
        .where('memberships.org_id', '=', orgId)
        .orderBy('memberships.created_at')
        .orderBy('memberships.user_id')
        .limit(limit + 1);
      if (after) q = q.where(afterCursor('memberships', after, { idColumn: 'user_id' }));
      return toPage((await q.execute()).map(toMember), limit, (m) => ({
        createdAt: m.since,
        id: m.userId,
      }));
    },
    async memberships(userId) {
      const rows = await db
        .selectFrom('memberships')
        .innerJoin('organizations', 'organizations.id', 'memberships.org_id')
        .select(['memberships.org_id', 'organizations.name', 'memberships.role'])
        .where('memberships.user_id', '=', userId)
        .execute();
      return rows
        .map((r) => ({ orgId: r.org_id, orgName: r.name, role: r.role }))
        .sort((a, b) => byText(a.orgName, b.orgName) || byText(a.orgId, b.orgId));
    },
    async adminEmails(orgId) {
      const rows = await db
        .selectFrom('memberships')
        .innerJoin('users', 'users.id', 'memberships.user_id')
        .select('users.email')
        .where('memberships.org_id', '=', orgId)
        .where('memberships.role', '=', 'admin')
        .execute();
      return rows.map((r) => r.email).sort(byText);
    },
    async members(orgId) {
      const rows = await db
        .selectFrom('memberships')
        .innerJoin('users', 'users.id', 'memberships.user_id')
        .select(['users.id', 'users.email', 'users.name', 'memberships.role', 'memberships.created_at'])
        .where('memberships.org_id', '=', orgId)
        .execute();
      return rows
        .map((r) => ({ userId: r.id, email: r.email, name: r.name, role: r.role, since: r.created_at }))
        .sort((a, b) => byText(a.email, b.email));
    },
    changeRole(orgId, userId, role) {
      return unlessLastAdmin(orgId, userId, role !== 'admin', async (tx) => {
        await tx
          .updateTable('memberships')
          .set({ role })
          .where('org_id', '=', orgId)
          .where('user_id', '=', userId)
          .execute();
      });
    },
    removeMembership(orgId, userId, { keepAnAdmin = true } = {}) {
      return unlessLastAdmin(orgId, userId, keepAnAdmin, async (tx) => {
        await tx
          .deleteFrom('memberships')
          .where('org_id', '=', orgId)
          .where('user_id', '=', userId)
          .execute();
      });
    },
  };
}
