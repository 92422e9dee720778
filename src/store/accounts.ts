import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import { newId } from '../crypto.ts';
import type { Database } from './schema.ts';

export type Role = 'admin' | 'member';
export interface Organization {
  id: string;
  name: string;
  createdAt: number;
}
export interface User {
  id: string;
  email: string;
  passwordHash: string;
  createdAt: number;
}
export interface Membership {
  orgId: string;
  orgName: string;
  role: Role;
}

export interface AccountRepository {
  createOrganization(name: string): Promise<Organization>;
  findOrganization(id: string): Promise<Organization | undefined>;
  countOrganizations(): Promise<number>;
  createUser(email: string, passwordHash: string): Promise<User>;
  findUserByEmail(email: string): Promise<User | undefined>;
  findUser(id: string): Promise<User | undefined>;
  findUsers(ids: readonly string[]): Promise<User[]>;
  addMembership(orgId: string, userId: string, role: Role): Promise<void>;
  /** The person's organizations, by name. */
  memberships(userId: string): Promise<Membership[]>;
  /** Emails of the organization's admins, sorted: whom a member asks for access. */
  adminEmails(orgId: string): Promise<string[]>;
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
    createdAt: r.created_at,
  });
  return {
    async createOrganization(name) {
      const org = { id: newId(), name, created_at: clock() };
      await db.insertInto('organizations').values(org).execute();
      return { id: org.id, name, createdAt: org.created_at };
    },
    async findOrganization(id) {
      const r = await db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
      return r && { id: r.id, name: r.name, createdAt: r.created_at };
    },
    async countOrganizations() {
      const r = await db
        .selectFrom('organizations')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async createUser(email, passwordHash) {
      const row = {
        id: newId(),
        email: normalizeEmail(email),
        password_hash: passwordHash,
        created_at: clock(),
      };
      await db.insertInto('users').values(row).execute();
      return toUser(row);
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
  };
}
