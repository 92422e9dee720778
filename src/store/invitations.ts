import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import { newId, sha256 } from '../crypto.ts';
import type { Role } from '../oauth/model/accounts.ts';
import type { Database } from './schema.ts';

export interface Invitation {
  id: string;
  orgId: string;
  email: string;
  role: Role;
  invitedBy: string | null;
  createdAt: number;
  expiresAt: number;
}

export interface AccessRequest {
  id: string;
  orgId: string;
  userId: string;
  email: string;
  name: string | null;
  createdAt: number;
}

/** Invitations (one-time links, stored as SHA-256) and access requests, for the Members page. */
export interface InvitationRepository {
  create(input: Omit<Invitation, 'id' | 'createdAt'> & { token: string }): Promise<Invitation>;
  /** The invitation a link's token names, while it is open (not accepted, not expired). */
  findOpen(token: string): Promise<(Invitation & { orgName: string }) | undefined>;
  /** The invitation a link's token names, open or not: to tell a used link from an expired one. */
  find(token: string): Promise<(Invitation & { orgName: string; acceptedAt: number | null }) | undefined>;
  /** Marks it accepted by `userId` once; false when it was already used or has expired. */
  accept(id: string, userId: string): Promise<boolean>;
  /** Open invitations of an organization, newest first. */
  listOpen(orgId: string): Promise<Invitation[]>;
  /** Files a request; an open one by the same person is kept (returns false). */
  requestAccess(orgId: string, userId: string): Promise<boolean>;
  hasOpenRequest(orgId: string, userId: string): Promise<boolean>;
  openRequests(orgId: string): Promise<AccessRequest[]>;
  /** Closes an open request of this organization; false when there is none. */
  decide(
    orgId: string,
    id: string,
    decision: 'approved' | 'declined',
    by: string,
  ): Promise<AccessRequest | undefined>;
}

export function invitationRepository(db: Kysely<Database>, clock: Clock): InvitationRepository {
  const toInvitation = (r: Database['invitations']): Invitation => ({
    id: r.id,
    orgId: r.org_id,
    email: r.email,
    role: r.role,
    invitedBy: r.invited_by,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
  });
  const byToken = (token: string) =>
    db
      .selectFrom('invitations')
      .innerJoin('organizations', 'organizations.id', 'invitations.org_id')
      .selectAll('invitations')
      .select('organizations.name as org_name')
      .where('token_hash', '=', sha256(token));
  const openRequest = (orgId: string) =>
    db
      .selectFrom('access_requests')
      .innerJoin('users', 'users.id', 'access_requests.user_id')
      .select([
        'access_requests.id',
        'access_requests.org_id',
        'access_requests.user_id',
        'access_requests.created_at',
        'users.email',
        'users.name',
      ])
      .where('access_requests.org_id', '=', orgId)
      .where('access_requests.decision', 'is', null);
  const toRequest = (r: {
    id: string;
    org_id: string;
    user_id: string;
    created_at: number;
    email: string;
    name: string | null;
  }): AccessRequest => ({
    id: r.id,
    orgId: r.org_id,
    userId: r.user_id,
    email: r.email,
    name: r.name,
    createdAt: r.created_at,
  });
  return {
    async create({ token, ...input }) {
      const row = {
        id: newId(),
        org_id: input.orgId,
        email: input.email,
        role: input.role,
        token_hash: sha256(token),
        invited_by: input.invitedBy,
        created_at: clock(),
        expires_at: input.expiresAt,
        accepted_at: null,
        accepted_by: null,
      };
      await db.insertInto('invitations').values(row).execute();
      return toInvitation(row);
    },
    async findOpen(token) {
      const r = await byToken(token)
        .where('accepted_at', 'is', null)
        .where('expires_at', '>', clock())
        .executeTakeFirst();
      return r && { ...toInvitation(r), orgName: r.org_name };
    },
    async find(token) {
      const r = await byToken(token).executeTakeFirst();
      return r && { ...toInvitation(r), orgName: r.org_name, acceptedAt: r.accepted_at };
    },
    async accept(id, userId) {
      const now = clock();
      // The condition makes the link single use even when two tabs accept at once.
      const result = await db
        .updateTable('invitations')
        .set({ accepted_at: now, accepted_by: userId })
        .where('id', '=', id)
        .where('accepted_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async listOpen(orgId) {
      const rows = await db
        .selectFrom('invitations')
        .selectAll()
        .where('org_id', '=', orgId)
        .where('accepted_at', 'is', null)
        .where('expires_at', '>', clock())
        .execute();
      return rows.map(toInvitation).sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1));
    },
    async requestAccess(orgId, userId) {
      if (await this.hasOpenRequest(orgId, userId)) return false;
      await db
        .insertInto('access_requests')
        .values({
          id: newId(),
          org_id: orgId,
          user_id: userId,
          created_at: clock(),
          decision: null,
          decided_by: null,
          decided_at: null,
        })
        .execute();
      return true;
    },
    async hasOpenRequest(orgId, userId) {
      const r = await openRequest(orgId).where('access_requests.user_id', '=', userId).executeTakeFirst();
      return r !== undefined;
    },
    async openRequests(orgId) {
      const rows = await openRequest(orgId).execute();
      return rows.map(toRequest).sort((a, b) => a.createdAt - b.createdAt);
    },
    async decide(orgId, id, decision, by) {
      const r = await openRequest(orgId).where('access_requests.id', '=', id).executeTakeFirst();
      if (!r) return undefined;
      const result = await db
        .updateTable('access_requests')
        .set({ decision, decided_by: by, decided_at: clock() })
        .where('id', '=', id)
        .where('decision', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1 ? toRequest(r) : undefined;
    },
  };
}
