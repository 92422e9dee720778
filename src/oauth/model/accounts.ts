// People: organizations, users, their memberships and roles, and the storage that keeps them.
// The protocol core's own types: src/store implements the storage interfaces here, never the reverse.
import type { Page, PageQuery } from './pages.ts';

/** admin: everything in the organization; developer: credentials, not people; member: connects apps. */
export const roles = ['admin', 'developer', 'member'] as const;
export type Role = (typeof roles)[number];
export const isRole = (value: unknown): value is Role => roles.includes(value as Role);

export interface Organization {
  id: string;
  name: string;
  /** The platform's own id for it (admin API, sign-in claim); null for ones made here. */
  externalId: string | null;
  createdAt: number;
}
export interface User {
  id: string;
  email: string;
  /** Empty for people who never sign in with a password (admin API, the platform's OpenID provider). */
  passwordHash: string;
  name: string | null;
  externalId: string | null;
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
  createOrganization(name: string, externalId?: string | null): Promise<Organization>;
  findOrganization(id: string): Promise<Organization | undefined>;
  countOrganizations(): Promise<number>;
  listOrganizations(page: PageQuery, filter?: { externalId?: string }): Promise<Page<Organization>>;
  updateOrganization(id: string, update: { name?: string; externalId?: string | null }): Promise<boolean>;
  /** Deletes it with its memberships, credentials and grants (cascade). */
  deleteOrganization(id: string): Promise<boolean>;
  createUser(
    email: string,
    passwordHash: string,
    profile?: { name?: string | null; externalId?: string | null },
  ): Promise<User>;
  listUsers(page: PageQuery, filter?: { email?: string; externalId?: string }): Promise<Page<User>>;
  /** Deletes the person with their memberships, grants and sessions (cascade). */
  deleteUser(id: string): Promise<boolean>;
  setUserName(userId: string, name: string | null): Promise<void>;
  findUserByEmail(email: string): Promise<User | undefined>;
  findUser(id: string): Promise<User | undefined>;
  findUsers(ids: readonly string[]): Promise<User[]>;
  addMembership(orgId: string, userId: string, role: Role): Promise<void>;
  findMembership(orgId: string, userId: string): Promise<Member | undefined>;
  /** The organization's people, in the order they joined. */
  listMembers(orgId: string, page: PageQuery): Promise<Page<Member>>;
  /** The person's organizations, by name. */
  memberships(userId: string): Promise<Membership[]>;
  /** Emails of the organization's admins, sorted: whom a member asks for access. */
  adminEmails(orgId: string): Promise<string[]>;
  /** The organization's people, by email. */
  members(orgId: string): Promise<Member[]>;
  /** Changes a role; refuses to leave the organization without an admin. */
  changeRole(orgId: string, userId: string, role: Role): Promise<MemberChange>;
  /**
   * Ends a membership; refuses to remove the last admin unless `keepAnAdmin` is false (the admin
   * API: the platform's back end is the authority on its people, as its sign-in claim is).
   */
  removeMembership(orgId: string, userId: string, options?: { keepAnAdmin?: boolean }): Promise<MemberChange>;
}
