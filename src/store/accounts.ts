import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import { newId } from '../crypto.ts';
import type { Database } from './schema.ts';

/** admin: everything in the organization; developer: credentials, not people; member: connects apps. */
export type Role = 'admin' | 'developer' | 'member';
export const roles: readonly Role[] = ['admin', 'developer', 'member'];
export const isRole = (value: unknown): value is Role => roles.includes(value as Role);

export interface Organization {
  id: string;
  name: string;
  externalId: string | null;
  createdAt: number;
}
export interface User {
  id: string;
  email: string;
  /** Empty for people who only sign in through the platform's OpenID provider. */
  passwordHash: string;
  name: string | null;
  createdAt: number;
}
/** One person of an organization, for the Members page. */
export interface Member {
  userId: string;
  email: string;
  name: string | null;
  role: Role;
  since: number;
}
export type MemberChange = 'done' | 'not_member' | 'last_admin';
export interface Membership {
  orgId: string;
  orgName: string;
  role: Role;
}

export interface AccountRepository {
  createOrganization(name: string): Promise<Organization>;
  findOrganization(id: string): Promise<Organization | undefined>;
  countOrganizations(): Promise<number>;
  createUser(email: string, passwordHash: string, name?: string | null): Promise<User>;
  setUserName(userId: string, name: string | null): Promise<void>;
  findUserByEmail(email: string): Promise<User | undefined>;
  findUser(id: string): Promise<User | undefined>;
  findUsers(ids: readonly string[]): Promise<User[]>;
  addMembership(orgId: string, userId: string, role: Role): Promise<void>;
  /** The person's organizations, by name. */
  memberships(userId: string): Promise<Membership[]>;
  /** Emails of the organization's admins, sorted: whom a member asks for access. */
  adminEmails(orgId: string): Promise<string[]>;
  /** The organization's people, by email. */
  members(orgId: string): Promise<Member[]>;
  /** Changes a role; refuses to leave the organization without an admin. */
  changeRole(orgId: string, userId: string, role: Role): Promise<MemberChange>;
  /** Ends a membership; refuses to remove the last admin. */
  removeMembership(orgId: string, userId: string): Promise<MemberChange>;
}

/**
 * Text is sorted here, not by ORDER BY: PostgreSQL sorts by the database's collation (often
 * case-insensitive), SQLite by bytes, and a person must see the same order on either.
 */
const byText = (a: string, b: string): number => a.localeCompare(b, 'en') || (a < b ? -1 : a > b ? 1 : 0);

export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

export function accountRepository(db: Kysely<Database>, clock: Clock): AccountRepository {
  const toUser = (r: Database['users']): User => ({
    id: r.id,
    email: r.email,
    passwordHash: r.password_hash,
    name: r.name,
    createdAt: r.created_at,
  });
  const toOrganization = (r: Database['organizations']): Organization => ({
    id: r.id,
    name: r.name,
    externalId: r.external_id,
    createdAt: r.created_at,
  });
  /**
   * Runs `change` unless it would leave the organization without an admin. One transaction, so
   * the count and the change agree (SQLite serialises writers; on PostgreSQL two admins demoting
   * each other at the same instant could still both pass: acceptable for a console action).
   */
  const unlessLastAdmin = (
    orgId: string,
    userId: string,
    demotes: boolean,
    change: (tx: Kysely<Database>) => Promise<void>,
  ): Promise<MemberChange> =>
    db.transaction().execute(async (tx) => {
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
    async createOrganization(name) {
      const org = { id: newId(), name, external_id: null, created_at: clock() };
      await db.insertInto('organizations').values(org).execute();
      return toOrganization(org);
    },
    async findOrganization(id) {
      const r = await db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toOrganization(r);
    },
    async countOrganizations() {
      const r = await db
        .selectFrom('organizations')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async createUser(email, passwordHash, name = null) {
      const row = {
        id: newId(),
        email: normalizeEmail(email),
        password_hash: passwordHash,
        name,
        created_at: clock(),
      };
      await db.insertInto('users').values(row).execute();
      return toUser(row);
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
    removeMembership(orgId, userId) {
      return unlessLastAdmin(orgId, userId, true, async (tx) => {
        await tx
          .deleteFrom('memberships')
          .where('org_id', '=', orgId)
          .where('user_id', '=', userId)
          .execute();
      });
    },
  };
}
