// Grants: a person's consent for one client in one organization, and the storage that keeps them.
// The protocol core's own types: src/store implements the storage interfaces here, never the reverse.
import type { Page, PageQuery } from './pages.ts';

/**
 * A person's consent for one client in one organization (RFC 6749 §4.1, "connected apps"). Each
 * approved authorization request makes its own grant: its code, refresh-token family and access
 * tokens (`gid`) hang off it, so revoking it (code replay, refresh reuse, RFC 7009, the connected-apps
 * page) kills exactly what that authorization produced.
 */
export interface Grant {
  id: string;
  clientId: string;
  userId: string;
  orgId: string;
  scope: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
  /** OpenID Connect: when the person signed in to grant it (epoch ms), for the ID tokens of refreshes. */
  authTime?: number;
}

/** One row of the connected-apps page: the active grants of one person for one client in one org. */
export interface Connection {
  clientId: string;
  clientName: string;
  /** The client belongs to no organization: software that registered itself, not verified. */
  selfRegistered: boolean;
  userId: string;
  email: string;
  orgId: string;
  /** Every scope any of the active grants holds. */
  scopes: string[];
  connectedAt: number;
  lastUsedAt: number | null;
}

export interface GrantRepository {
  isActive(id: string): Promise<boolean>;
  create(
    grant: { clientId: string; userId: string; orgId: string; scope: string; authTime?: number },
    at: number,
  ): Promise<Grant>;
  find(id: string): Promise<Grant | undefined>;
  /** Active grants of a person for a client, in any organization. */
  activeFor(userId: string, clientId: string): Promise<Grant[]>;
  touch(id: string, at: number): Promise<void>;
  /** Revokes the grant and its refresh tokens at once. */
  revoke(id: string, at: number): Promise<void>;
  /** Revokes every active grant of one connection; returns how many. */
  revokeConnection(c: { clientId: string; userId: string; orgId: string }, at: number): Promise<number>;
  /** Revokes every active grant a person holds in one organization (they left it); returns them. */
  revokeMemberGrants(m: { userId: string; orgId: string }, at: number): Promise<Grant[]>;
  /** Revokes every active grant of a client, in every organization (it was blocked); returns them. */
  revokeClientGrants(clientId: string, at: number): Promise<Grant[]>;
  connections(filter: { orgId: string; userId?: string }): Promise<Connection[]>;
  /** Every grant of an organization, revoked ones included, oldest first (the admin API). */
  page(orgId: string, page: PageQuery): Promise<Page<Grant>>;
}
