import type { Client, ClientSecret, GrantType } from '../../oauth/model/clients.ts';
import { operatorManaged } from '../../oauth/scope.ts';
import type { Services } from '../../services.ts';
import { type ActivitySummary, activitySummary } from '../activity.ts';

/**
 * What the credentials console shows, as plain data for the views. Nothing here ever carries a
 * secret or its hash: secrets are described by their hint (last four characters) and dates only.
 */

export type CredentialStatus =
  /** At least one secret works and none is on its way out. */
  | { kind: 'active' }
  /** A rotation is in progress: an older secret still works until `until`. */
  | { kind: 'rotating'; until: number }
  /** No secret works any more: every one expired. */
  | { kind: 'expired' }
  /** A public client: it has no secret. */
  | { kind: 'public' }
  /** It signs assertions with its own keys (private_key_jwt): no secret. */
  | { kind: 'keys' }
  /** The platform operator blocked it: every request with it is refused. */
  | { kind: 'blocked'; since: number };

export interface SecretView {
  id: string;
  /** The last four characters, e.g. "…x7Qa". */
  hint: string;
  createdAt: number;
  createdBy: string;
  expiresAt: number | null;
  lastUsedAt: number | null;
  /** True while it can authenticate. */
  active: boolean;
  /** When a secret scanner reported it found in public, else null. */
  leakedAt: number | null;
}

/** A leaked secret not yet replaced: no secret was generated after the report. */
export interface LeakView {
  hint: string;
  leakedAt: number;
  /** When it stops (or stopped) working: the grace period after the report. */
  expiresAt: number | null;
  /** Where the scanner found it (a URL), when it said. */
  url: string;
}

export interface CredentialSummary {
  id: string;
  name: string;
  redirectUris: string[];
  grantTypes: GrantType[];
  createdAt: number;
  /** A person's email, or a word for the CLI and the seed. */
  createdBy: string;
  /** The latest use of any of its secrets. */
  lastUsedAt: number | null;
  status: CredentialStatus;
  /** When its newest unreplaced leaked secret was reported, else null. */
  leakedAt: number | null;
  /** It holds a reserved `latchkey:*` scope: shown read-only, managed by the operator (CLI, admin API). */
  operatorManaged: boolean;
}

export interface AuditEntry {
  id: string;
  action: string;
  actor: string;
  at: number;
  detail: Record<string, unknown>;
}

export interface CredentialDetail extends CredentialSummary {
  orgId: string;
  orgName: string;
  scopes: string[];
  isPublic: boolean;
  updatedAt: number;
  secrets: SecretView[];
  activity: ActivitySummary;
  audit: AuditEntry[];
  leak: LeakView | null;
  /** For private_key_jwt: where its keys come from, and their ids. */
  keys: { jwksUri: string | null; kids: string[] } | null;
  /** Where a sign-out may return to (RP-Initiated Logout 1.0). */
  postLogoutRedirectUris: string[];
}

/** Audit actions shown in a credential's trail (failed authentications are counted, not listed). */
export const trailActions = [
  'client.created',
  'client.updated',
  'client.secret_rotated',
  'client.secret_leaked',
  'client.blocked',
  'client.deleted',
] as const;

/** Maps actor ids (user ids, `cli`, `system`) to what a person reads. */
async function actorNames(s: Services, ids: Iterable<string | null>): Promise<Map<string, string>> {
  const names = new Map<string, string>([
    ['cli', 'Command line (latchkey CLI)'],
    ['system', 'Latchkey (demo seed)'],
    ['secret-scanning', 'Secret scanning report'],
  ]);
  const userIds = [...new Set([...ids].filter((id): id is string => id !== null && !names.has(id)))];
  for (const user of await s.store.accounts.findUsers(userIds)) names.set(user.id, user.email);
  // The admin API records the admin client that called.
  const others = userIds.filter((id) => !names.has(id));
  for (const client of await s.store.clients.findMany(others))
    names.set(client.id, `Admin API (${client.name})`);
  return names;
}

const actorName = (names: Map<string, string>, id: string | null): string =>
  id === null ? 'Unknown' : (names.get(id) ?? (id === 'test' ? 'Test setup' : 'A removed user'));

function secretActive(secret: Pick<ClientSecret, 'expiresAt'>, now: number): boolean {
  return secret.expiresAt === null || secret.expiresAt > now;
}

export function credentialStatus(
  client: Pick<Client, 'isPublic' | 'jwks' | 'jwksUri' | 'blockedAt'>,
  secrets: readonly Pick<ClientSecret, 'expiresAt'>[],
  now: number,
): CredentialStatus {
  if (client.blockedAt !== null) return { kind: 'blocked', since: client.blockedAt };
  if (client.isPublic) return { kind: 'public' };
  if (client.jwks || client.jwksUri) return { kind: 'keys' };
  const live = secrets.filter((secret) => secretActive(secret, now));
  if (live.length === 0) return { kind: 'expired' };
  const ending = live.filter((secret) => secret.expiresAt !== null).map((secret) => secret.expiresAt!);
  if (ending.length > 0 && live.length > 1) return { kind: 'rotating', until: Math.max(...ending) };
  return { kind: 'active' };
}

/** The newest leaked secret that no later secret replaced: what still needs a rotation. */
export function unreplacedLeak<T extends Pick<ClientSecret, 'createdAt' | 'leakedAt'>>(
  secrets: readonly T[],
): (T & { leakedAt: number }) | undefined {
  const leaked = secrets
    .filter((x): x is T & { leakedAt: number } => x.leakedAt !== undefined)
    .sort((a, b) => b.leakedAt - a.leakedAt)[0];
  if (!leaked || secrets.some((x) => x.createdAt > leaked.leakedAt)) return undefined;
  return leaked;
}

const latest = (values: (number | null)[]): number | null =>
  values.reduce<number | null>((max, v) => (v !== null && (max === null || v > max) ? v : max), null);

/** The organization's credentials, newest first. */
export async function listCredentials(s: Services, orgId: string): Promise<CredentialSummary[]> {
  const clients = await s.store.clients.list(orgId);
  const [secrets, names] = await Promise.all([
    s.store.clients.secretsOf(clients.map((c) => c.id)),
    actorNames(
      s,
      clients.map((c) => c.createdBy),
    ),
  ]);
  const now = s.clock();
  return clients.map((client) => {
    const own = secrets.filter((secret) => secret.clientId === client.id);
    return {
      id: client.id,
      name: client.name,
      redirectUris: client.redirectUris,
      grantTypes: client.grantTypes,
      createdAt: client.createdAt,
      createdBy: actorName(names, client.createdBy),
      lastUsedAt: latest(own.map((secret) => secret.lastUsedAt)),
      status: credentialStatus(client, own, now),
      leakedAt: unreplacedLeak(own)?.leakedAt ?? null,
      operatorManaged: operatorManaged(client),
    };
  });
}

/** One credential of the organization, or undefined when it does not exist or belongs to another. */
export async function credentialDetail(
  s: Services,
  orgId: string,
  clientId: string,
): Promise<CredentialDetail | undefined> {
  const client = await s.store.clients.find(clientId);
  if (!client || client.orgId !== orgId) return undefined;
  const [secrets, org, activity, events] = await Promise.all([
    s.store.clients.secrets(client.id),
    s.store.accounts.findOrganization(client.orgId),
    activitySummary(s, client.id),
    s.store.audit.list({ clientId: client.id, actions: trailActions, limit: 50 }),
  ]);
  const names = await actorNames(s, [
    client.createdBy,
    ...secrets.map((x) => x.createdBy),
    ...events.map((e) => e.actor),
  ]);
  const now = s.clock();
  const leaked = unreplacedLeak(secrets);
  const report = events.find((e) => e.action === 'client.secret_leaked' && e.detail.secretId === leaked?.id);
  return {
    id: client.id,
    name: client.name,
    redirectUris: client.redirectUris,
    postLogoutRedirectUris: client.postLogoutRedirectUris,
    grantTypes: client.grantTypes,
    scopes: client.scopes,
    isPublic: client.isPublic,
    createdAt: client.createdAt,
    updatedAt: client.updatedAt,
    createdBy: actorName(names, client.createdBy),
    lastUsedAt: latest(secrets.map((secret) => secret.lastUsedAt)),
    status: credentialStatus(client, secrets, now),
    leakedAt: leaked?.leakedAt ?? null,
    operatorManaged: operatorManaged(client),
    orgId: client.orgId,
    orgName: org?.name ?? '',
    secrets: secrets.slice(0, 20).map((secret) => ({
      id: secret.id,
      hint: secret.hint,
      createdAt: secret.createdAt,
      createdBy: actorName(names, secret.createdBy),
      expiresAt: secret.expiresAt,
      lastUsedAt: secret.lastUsedAt,
      active: secretActive(secret, now),
      leakedAt: secret.leakedAt ?? null,
    })),
    keys:
      client.jwks || client.jwksUri
        ? { jwksUri: client.jwksUri, kids: client.jwks?.keys.map((k) => String(k.kid ?? k.kty)) ?? [] }
        : null,
    leak: leaked
      ? {
          hint: leaked.hint,
          leakedAt: leaked.leakedAt,
          expiresAt: leaked.expiresAt,
          url: typeof report?.detail.url === 'string' ? report.detail.url : '',
        }
      : null,
    activity,
    audit: events.map((e) => ({
      id: e.id,
      action: e.action,
      actor: actorName(names, e.actor),
      at: e.createdAt,
      detail: e.detail,
    })),
  };
}

export interface OrgAuditEntry extends AuditEntry {
  clientId: string | null;
  /** The credentials' name: current, or as it was when they were deleted. */
  clientName: string;
  /** False once the credentials are deleted. */
  exists: boolean;
}

/** The organization's latest credential changes, deletions included (the list page's feed). */
export async function recentChanges(s: Services, orgId: string, limit = 10): Promise<OrgAuditEntry[]> {
  const events = await s.store.audit.list({ orgId, actions: trailActions, limit });
  const clientIds = [...new Set(events.map((e) => e.clientId).filter((id): id is string => id !== null))];
  const [names, clients] = await Promise.all([
    actorNames(
      s,
      events.map((e) => e.actor),
    ),
    s.store.clients.findMany(clientIds),
  ]);
  const current = new Map(clients.map((c) => [c.id, c.name]));
  // Deleted credentials: their name as recorded when they were deleted.
  const gone = clientIds.filter((id) => !current.has(id));
  if (gone.length > 0) {
    const deletions = await s.store.audit.list({ orgId, clientId: gone, actions: ['client.deleted'] });
    for (const d of deletions) {
      const name = d.detail.name;
      if (d.clientId && typeof name === 'string') current.set(d.clientId, name);
    }
  }
  return events.map((e) => {
    const name =
      (e.clientId && current.get(e.clientId)) ?? (typeof e.detail.name === 'string' ? e.detail.name : '');
    return {
      id: e.id,
      action: e.action,
      actor: actorName(names, e.actor),
      at: e.createdAt,
      detail: e.detail,
      clientId: e.clientId,
      clientName: name,
      exists: e.clientId !== null && !gone.includes(e.clientId),
    };
  });
}

/** The organization's admins, by email: whom a member should ask for access. */
export const organizationAdmins = (s: Services, orgId: string): Promise<string[]> =>
  s.store.accounts.adminEmails(orgId);
