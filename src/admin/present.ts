import type { Member, Organization, User } from '../oauth/model/accounts.ts';
import type { AuditEvent } from '../oauth/model/audit.ts';
import type { Grant } from '../oauth/model/grants.ts';

/**
 * Store records as the admin API shows them: snake_case, ISO 8601 times. Credentials are shown as
 * everywhere else, by presentClient (src/oauth/client-registration.ts).
 */
const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export const presentOrganization = (o: Organization) => ({
  id: o.id,
  name: o.name,
  external_id: o.externalId,
  created_at: iso(o.createdAt),
});

export const presentUser = (u: User) => ({
  id: u.id,
  email: u.email,
  name: u.name,
  external_id: u.externalId,
  created_at: iso(u.createdAt),
});

export const presentMember = (m: Member) => ({
  user_id: m.userId,
  email: m.email,
  role: m.role,
  created_at: iso(m.since),
});

export const presentGrant = (g: Grant) => ({
  id: g.id,
  client_id: g.clientId,
  user_id: g.userId,
  organization_id: g.orgId,
  scopes: g.scope.split(' ').filter(Boolean),
  created_at: iso(g.createdAt),
  last_used_at: isoOrNull(g.lastUsedAt),
  revoked_at: isoOrNull(g.revokedAt),
});

export const presentAuditEvent = (e: AuditEvent) => ({
  id: e.id,
  organization_id: e.orgId,
  actor: e.actor,
  client_id: e.clientId,
  action: e.action,
  detail: e.detail,
  created_at: iso(e.createdAt),
});
