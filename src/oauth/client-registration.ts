import type { Clock } from '../clock.ts';
import type { Config } from '../config/index.ts';
import { newId } from '../crypto.ts';
import {
  CredentialsError,
  checkClientKeys,
  checkRedirectUris,
  checkScopes,
  tokenEndpointAuthMethod,
} from './client-rules.ts';
import type { Client, GrantType, NewClient } from './model/clients.ts';
import type {
  ClientRegistrationStorage,
  ClientRegistrationWrites,
  OrganizationDeletionWrites,
} from './ports.ts';
import { isReservedScope } from './scope.ts';
import { generateClientId, generateClientSecret } from './secrets.ts';

/** Creating, rotating and deleting API credentials: used by the CLI, the console and the seed. */
export interface ClientRegistrationDeps {
  readonly store: ClientRegistrationStorage;
  /** The scope catalog new credentials may hold; the environment their secrets are marked with. */
  readonly config: Pick<Config, 'scopes' | 'environment' | 'jwksUriAllowedHosts'>;
  readonly clock: Clock;
}

export const allGrantTypes: readonly GrantType[] = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
];

export interface NewCredentials {
  orgId: string;
  name: string;
  redirectUris?: string[];
  grantTypes?: GrantType[];
  scopes?: string[];
  isPublic?: boolean;
  pkceOptional?: boolean;
  /** private_key_jwt (RFC 7523): the client's public keys or their URL; no secret is made then. */
  jwks?: { keys: Record<string, unknown>[] };
  jwksUri?: string;
  /** RFC 9126 §6 require_pushed_authorization_requests. */
  requirePar?: boolean;
  /** RFC 9449: access tokens only with a DPoP proof. */
  requireDpop?: boolean;
  /** RP-Initiated Logout 1.0 §3: where a sign-out may return to; the redirect URIs' rules. */
  postLogoutRedirectUris?: string[];
  /** Lets `scopes` hold scopes only the operator may grant (`latchkey:introspect`): the CLI sets it. */
  allowCliOnlyScopes?: boolean;
  /** A user id, or `cli`. */
  actor: string;
}

export interface CreatedCredentials {
  client: Client;
  /** Shown once; only its hash is stored. Undefined for public clients. */
  clientSecret: string | undefined;
}

export async function createCredentials(
  input: NewCredentials,
  s: ClientRegistrationDeps,
): Promise<CreatedCredentials> {
  const name = input.name.trim();
  if (name === '' || name.length > 100) throw new CredentialsError('The name must be 1 to 100 characters');
  if (!(await s.store.accounts.findOrganization(input.orgId))) {
    throw new CredentialsError(`No organization with id ${input.orgId}`);
  }
  const isPublic = input.isPublic ?? false;
  const grantTypes = [
    ...new Set(input.grantTypes ?? (isPublic ? ['authorization_code', 'refresh_token'] : allGrantTypes)),
  ] as GrantType[];
  const unknownGrant = grantTypes.find((g) => !allGrantTypes.includes(g));
  if (unknownGrant)
    throw new CredentialsError(`Unknown grant type "${unknownGrant}"; use ${allGrantTypes.join(', ')}`);
  if (isPublic && grantTypes.includes('client_credentials')) {
    throw new CredentialsError('Public clients cannot use client_credentials: they have no secret');
  }
  const redirectUris = input.redirectUris ?? [];
  checkRedirectUris(redirectUris);
  const postLogoutRedirectUris = input.postLogoutRedirectUris ?? [];
  checkRedirectUris(postLogoutRedirectUris, 'Post-logout redirect URL');
  if (grantTypes.includes('authorization_code') && redirectUris.length === 0) {
    throw new CredentialsError('The authorization_code grant needs at least one redirect URL');
  }
  const scopes = input.scopes ?? Object.keys(s.config.scopes).filter((scope) => !isReservedScope(scope));
  checkScopes(scopes, s.config.scopes, input.allowCliOnlyScopes ?? false);

  checkClientKeys(input, isPublic, s.config.jwksUriAllowedHosts);
  return storeNewClient(
    {
      id: generateClientId(),
      orgId: input.orgId,
      name,
      redirectUris,
      grantTypes,
      scopes,
      isPublic,
      pkceOptional: input.pkceOptional ?? false,
      createdBy: input.actor,
      jwks: input.jwks ?? null,
      jwksUri: input.jwksUri ?? null,
      requirePar: input.requirePar ?? false,
      requireDpop: input.requireDpop ?? false,
      postLogoutRedirectUris,
    },
    input.actor,
    s,
  );
}

/**
 * A new client checked by the caller, stored with its first secret (unless it is public or
 * authenticates with keys): the client, its secret, the audit event and the `client.created`
 * webhook commit together (store.transaction).
 */
export async function storeNewClient(
  newClient: NewClient,
  actor: string,
  s: Pick<ClientRegistrationDeps, 'store' | 'config' | 'clock'>,
): Promise<CreatedCredentials> {
  const needsSecret = !newClient.isPublic && !newClient.jwks && !newClient.jwksUri;
  return s.store.transaction(async (tx) => {
    const client = await tx.clients.create(newClient);
    const clientSecret = needsSecret ? (await addSecret(tx, client.id, actor, s)).secret : undefined;
    const { name, redirectUris, grantTypes, scopes, isPublic, origin } = client;
    await tx.audit.record({
      orgId: client.orgId,
      actor,
      clientId: client.id,
      action: 'client.created',
      detail: { name, redirectUris, grantTypes, scopes, isPublic, ...(origin !== 'console' && { origin }) },
    });
    await tx.outbox.add('client.created', presentClient(client));
    return { client, clientSecret };
  });
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Credentials as every reader outside sees them: the admin API's answers, the CLI's `--json` and the
 * `data` of the client.* webhooks. RFC 7591 §2 metadata names, snake_case, ISO 8601 times; the
 * organization is `organization_id` (only the access token's claim is `org_id`), null for software
 * that registered itself. Never a secret.
 */
export const presentClient = (c: Client) => ({
  client_id: c.id,
  organization_id: c.orgId,
  name: c.name,
  redirect_uris: c.redirectUris,
  grant_types: c.grantTypes,
  scopes: c.scopes,
  public: c.isPublic,
  token_endpoint_auth_method: tokenEndpointAuthMethod(c),
  jwks: c.jwks,
  jwks_uri: c.jwksUri,
  require_pushed_authorization_requests: c.requirePar,
  dpop_bound_access_tokens: c.requireDpop,
  post_logout_redirect_uris: c.postLogoutRedirectUris,
  /** `console`, or software that registered itself (`metadata_document`, `dynamic`): then no organization. */
  origin: c.origin,
  /** When the operator blocked it: refused everywhere as invalid_client (final). */
  blocked_at: c.blockedAt === null ? null : iso(c.blockedAt),
  created_at: iso(c.createdAt),
  updated_at: iso(c.updatedAt),
});

async function addSecret(
  tx: ClientRegistrationWrites,
  clientId: string,
  actor: string,
  s: Pick<ClientRegistrationDeps, 'config' | 'clock'>,
): Promise<{ id: string; secret: string }> {
  const generated = generateClientSecret(s.config.environment);
  const id = newId();
  await tx.clients.addSecret({
    id,
    clientId,
    secretHash: generated.hash,
    hint: generated.hint,
    createdAt: s.clock(),
    expiresAt: null,
    createdBy: actor,
  });
  return { id, secret: generated.secret };
}

/**
 * Adds a new secret and lets the older ones keep working for `overlapSeconds` (0 = stop now), so a
 * running integration can switch over without downtime.
 */
export async function rotateSecret(
  clientId: string,
  overlapSeconds: number,
  actor: string,
  s: ClientRegistrationDeps,
): Promise<string> {
  const client = await s.store.clients.find(clientId);
  if (!client) throw new CredentialsError(`No credentials with client ID ${clientId}`);
  if (client.isPublic) throw new CredentialsError('Public clients have no secret to rotate');
  const oldExpire = s.clock() + overlapSeconds * 1000;
  return s.store.transaction(async (tx) => {
    const added = await addSecret(tx, client.id, actor, s);
    await tx.clients.expireSecrets(client.id, oldExpire, added.id);
    const oldSecretsExpireAt = new Date(oldExpire).toISOString();
    await tx.audit.record({
      orgId: client.orgId,
      actor,
      clientId: client.id,
      action: 'client.secret_rotated',
      detail: { oldSecretsExpireAt },
    });
    await tx.outbox.add('client.secret_rotated', {
      ...presentClient(client),
      old_secrets_expire_at: oldSecretsExpireAt,
    });
    return added.secret;
  });
}

/** Deletes the credentials; grants, codes, refresh tokens and secrets go with them (cascade). */
export async function deleteCredentials(
  clientId: string,
  actor: string,
  s: ClientRegistrationDeps,
): Promise<Client> {
  const client = await s.store.clients.find(clientId);
  if (!client) throw new CredentialsError(`No credentials with client ID ${clientId}`);
  await s.store.transaction((tx) => removeCredentials(client, actor, tx));
  return client;
}

/**
 * One set of credentials deleted inside the caller's transaction: the row (its cached copy dropped at
 * every instance after the commit), the audit event and the `client.deleted` webhook.
 */
async function removeCredentials(client: Client, actor: string, tx: ClientRegistrationWrites): Promise<void> {
  await tx.clients.delete(client.id);
  await tx.audit.record({
    orgId: client.orgId,
    actor,
    clientId: client.id,
    action: 'client.deleted',
    detail: { name: client.name },
  });
  await tx.outbox.add('client.deleted', presentClient(client));
}

/**
 * Deletes an organization with everything in it. Its credentials are deleted first, each as
 * `deleteCredentials` deletes one, in the same transaction as the organization: a webhook consumer
 * hears `client.deleted` for every one of them, and no instance keeps a cached copy that would go on
 * issuing tokens (DESIGN.md: a deleted client is refused at every instance within 1 s). A cascade
 * alone would remove the rows but neither announce them nor drop the caches. False when there is no
 * such organization.
 */
export async function deleteOrganization(
  orgId: string,
  actor: string,
  s: { readonly store: { transaction<T>(fn: (tx: OrganizationDeletionWrites) => Promise<T>): Promise<T> } },
): Promise<boolean> {
  return s.store.transaction(async (tx) => {
    const org = await tx.accounts.findOrganization(orgId);
    if (!org) return false;
    for (const client of await tx.clients.list(orgId)) await removeCredentials(client, actor, tx);
    await tx.accounts.deleteOrganization(orgId);
    await tx.audit.record({
      orgId,
      actor,
      clientId: null,
      action: 'organization.deleted',
      detail: { name: org.name },
    });
    return true;
  });
}

export interface CredentialsUpdate {
  name?: string;
  redirectUris?: string[];
  grantTypes?: GrantType[];
  /** New keys (replacing the registered jwks or jwks_uri): from then on only private_key_jwt works. */
  jwks?: { keys: Record<string, unknown>[] };
  jwksUri?: string;
  requirePar?: boolean;
  requireDpop?: boolean;
  postLogoutRedirectUris?: string[];
  /** Checked as at creation: the catalog's scopes, never a reserved one. */
  scopes?: string[];
  /** RFC 7592 §2.2: what self-registered software says of itself, replaced as a whole. */
  softwareMetadata?: Record<string, unknown> | null;
}

/**
 * Changes the name, redirect URLs or grants (the console's edit form) under the same rules as
 * creation, and records what changed. Returns the updated client; no change records nothing.
 */
export async function updateCredentials(
  clientId: string,
  update: CredentialsUpdate,
  actor: string,
  s: ClientRegistrationDeps,
): Promise<Client> {
  const client = await s.store.clients.find(clientId);
  if (!client) throw new CredentialsError(`No credentials with client ID ${clientId}`);
  const name = update.name?.trim() ?? client.name;
  if (name === '' || name.length > 100) throw new CredentialsError('The name must be 1 to 100 characters');
  const redirectUris = update.redirectUris ?? client.redirectUris;
  // Those registered before a rule existed stay until the list is changed (a rename keeps working).
  if (update.redirectUris !== undefined) checkRedirectUris(redirectUris);
  const postLogoutRedirectUris = update.postLogoutRedirectUris ?? client.postLogoutRedirectUris;
  if (update.postLogoutRedirectUris !== undefined)
    checkRedirectUris(postLogoutRedirectUris, 'Post-logout redirect URL');
  const grantTypes = [...new Set(update.grantTypes ?? client.grantTypes)] as GrantType[];
  const unknownGrant = grantTypes.find((g) => !allGrantTypes.includes(g));
  if (unknownGrant)
    throw new CredentialsError(`Unknown grant type "${unknownGrant}"; use ${allGrantTypes.join(', ')}`);
  if (grantTypes.length === 0) throw new CredentialsError('Choose at least one grant type');
  if (client.isPublic && grantTypes.includes('client_credentials')) {
    throw new CredentialsError('Public clients cannot use client_credentials: they have no secret');
  }
  if (grantTypes.includes('authorization_code') && redirectUris.length === 0) {
    throw new CredentialsError('The authorization_code grant needs at least one redirect URL');
  }
  checkClientKeys(update, client.isPublic, s.config.jwksUriAllowedHosts);
  const scopes = update.scopes ?? client.scopes;
  if (update.scopes !== undefined) checkScopes(scopes, s.config.scopes, false);
  const softwareMetadata =
    update.softwareMetadata === undefined ? client.softwareMetadata : update.softwareMetadata;
  // One source of keys: a new jwks replaces a jwks_uri and the other way round.
  const keys =
    update.jwks !== undefined
      ? { jwks: update.jwks, jwksUri: null }
      : update.jwksUri !== undefined
        ? { jwks: null, jwksUri: update.jwksUri }
        : { jwks: client.jwks, jwksUri: client.jwksUri };
  const requirePar = update.requirePar ?? client.requirePar;
  const requireDpop = update.requireDpop ?? client.requireDpop;

  const same = (a: readonly string[], b: readonly string[]): boolean =>
    a.length === b.length && a.every((v, i) => v === b[i]);
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  if (name !== client.name) changes.name = { from: client.name, to: name };
  if (!same(redirectUris, client.redirectUris))
    changes.redirectUris = { from: client.redirectUris, to: redirectUris };
  if (!same(postLogoutRedirectUris, client.postLogoutRedirectUris)) {
    changes.postLogoutRedirectUris = { from: client.postLogoutRedirectUris, to: postLogoutRedirectUris };
  }
  if (!same([...grantTypes].sort(), [...client.grantTypes].sort())) {
    changes.grantTypes = { from: client.grantTypes, to: grantTypes };
  }
  // The trail names keys by their kid (or kty) rather than copying whole key sets.
  const kids = (jwks: Client['jwks']) => jwks?.keys.map((k) => String(k.kid ?? k.kty)) ?? null;
  if (JSON.stringify(keys.jwks) !== JSON.stringify(client.jwks))
    changes.jwks = { from: kids(client.jwks), to: kids(keys.jwks) };
  if (keys.jwksUri !== client.jwksUri) changes.jwksUri = { from: client.jwksUri, to: keys.jwksUri };
  if (requirePar !== client.requirePar) changes.requirePar = { from: client.requirePar, to: requirePar };
  if (requireDpop !== client.requireDpop) changes.requireDpop = { from: client.requireDpop, to: requireDpop };
  if (!same([...scopes].sort(), [...client.scopes].sort()))
    changes.scopes = { from: client.scopes, to: scopes };
  if (JSON.stringify(softwareMetadata) !== JSON.stringify(client.softwareMetadata))
    changes.softwareMetadata = { from: client.softwareMetadata, to: softwareMetadata };
  if (Object.keys(changes).length === 0) return client;

  const fields = {
    name,
    redirectUris,
    grantTypes,
    scopes,
    ...keys,
    requirePar,
    requireDpop,
    postLogoutRedirectUris,
    softwareMetadata,
  };
  const updated = { ...client, ...fields, updatedAt: s.clock() };
  await s.store.transaction(async (tx) => {
    await tx.clients.update(client.id, fields);
    await tx.audit.record({
      orgId: client.orgId,
      actor,
      clientId: client.id,
      action: 'client.updated',
      detail: changes,
    });
    await tx.outbox.add('client.updated', { ...presentClient(updated), changed: Object.keys(changes) });
  });
  return updated;
}
