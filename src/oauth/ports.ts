/**
 * The storage each part of the protocol core needs, and nothing more (fosite's per-handler storage
 * interfaces). `src/store` implements every one of them for SQLite and PostgreSQL; the core depends on
 * these narrow views, so a reader sees at a glance what a flow may read or write.
 *
 * The client_credentials grant has none: its access tokens are self-contained JWTs (RFC 9068), so it
 * only signs (see ./grants/client-credentials.ts).
 */
import type { AccountRepository } from './model/accounts.ts';
import type { AuditRepository } from './model/audit.ts';
import type { AuthorizationRequestRepository } from './model/authorization-requests.ts';
import type { ClientRepository } from './model/clients.ts';
import type { CodeRepository } from './model/codes.ts';
import type { GrantRepository } from './model/grants.ts';
import type { InitialAccessTokenRepository } from './model/initial-access-tokens.ts';
import type { LeakedSecretRepository } from './model/leaked-secrets.ts';
import type { Outbox } from './model/outbox.ts';
import type { PushedRequestRepository } from './model/pushed-requests.ts';
import type { RefreshTokenRepository } from './model/refresh-tokens.ts';
import type { RevocationRepository } from './model/revocations.ts';
import type { SeenValueRepository } from './model/seen-values.ts';

/**
 * The log lines the core writes: fields first, then the message (pino's logger is one). Secrets,
 * codes and tokens never go in the fields.
 */
export interface Log {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * The authorization endpoint and consent (RFC 6749 §4.1.1–4.1.2): read the registration, park the
 * request while the person signs in, take it once, look up earlier consent, record the new grant and
 * its code.
 */
export interface AuthorizationFlowStorage {
  readonly clients: Pick<ClientRepository, 'find'>;
  readonly authorizationRequests: Pick<AuthorizationRequestRepository, 'create' | 'find' | 'take'>;
  readonly grants: Pick<GrantRepository, 'activeFor' | 'create'>;
  readonly codes: Pick<CodeRepository, 'create'>;
  readonly audit: Pick<AuditRepository, 'record'>;
  readonly pushedRequests: Pick<PushedRequestRepository, 'take'>;
}

/**
 * Clients known by their metadata document (draft-ietf-oauth-client-id-metadata-document): the
 * stored copy, and storing what a fetched document says.
 */
export interface MetadataDocumentStorage {
  readonly clients: Pick<ClientRepository, 'find' | 'saveDocumentClient'>;
}

/** Pushed authorization requests (RFC 9126): the client authenticates, the request is parked once. */
export interface PushedRequestStorage {
  readonly clients: Pick<ClientRepository, 'find'>;
  readonly pushedRequests: Pick<PushedRequestRepository, 'create' | 'take'>;
}

/** Client authentication (RFC 6749 §2.3): the registration, its secrets, "last used", failed attempts. */
export interface ClientAuthenticationStorage {
  readonly clients: Pick<ClientRepository, 'find' | 'secrets' | 'touchSecret'>;
  readonly audit: Pick<AuditRepository, 'record'>;
  /** Used client assertion `jti`s (RFC 7523 §3), shared by every instance. */
  readonly seenValues: Pick<SeenValueRepository, 'remember'>;
}

/** What a registration change writes in one transaction: the client, its audit event, its webhook. */
export interface ClientRegistrationWrites {
  readonly clients: Pick<
    ClientRepository,
    'create' | 'update' | 'delete' | 'addSecret' | 'expireSecrets' | 'list'
  >;
  readonly audit: Pick<AuditRepository, 'record'>;
  readonly outbox: Outbox;
}

/**
 * What the operator's block writes in one transaction (./client-blocking.ts): the mark, the grants it
 * ends, their audit events and webhooks. The store announces the client to every cache after the commit.
 */
export interface ClientBlockingWrites {
  readonly clients: Pick<ClientRepository, 'find' | 'block'>;
  readonly grants: Pick<GrantRepository, 'revokeClientGrants'>;
  readonly audit: Pick<AuditRepository, 'record'>;
  readonly outbox: Outbox;
}

/** Deleting an organization: its credentials go one by one, each announced, then the organization. */
export type OrganizationDeletionWrites = ClientRegistrationWrites & {
  readonly accounts: Pick<AccountRepository, 'findOrganization' | 'deleteOrganization'>;
};

/** Client registration management (console, CLI, seed): credentials, their secrets, the audit log. */
export interface ClientRegistrationStorage {
  readonly accounts: Pick<AccountRepository, 'findOrganization'>;
  readonly clients: Pick<ClientRepository, 'find'>;
  transaction<T>(fn: (tx: ClientRegistrationWrites) => Promise<T>): Promise<T>;
}

/**
 * Dynamic client registration (RFC 7591, RFC 7592): check an initial access token, find a client by
 * its registration access token, compare a client_secret sent back, and write as the console does.
 */
export interface DynamicRegistrationStorage extends ClientRegistrationStorage {
  readonly clients: Pick<ClientRepository, 'find' | 'findByRegistrationToken' | 'secrets'>;
  readonly initialAccessTokens: Pick<InitialAccessTokenRepository, 'findByHash'>;
}

/** Checking one of our access tokens is still good: not revoked, its client and grant still there. */
export interface AccessTokenStorage {
  readonly revocations: Pick<RevocationRepository, 'accessTokenStatus'>;
  readonly clients: Pick<ClientRepository, 'find'>;
}

/**
 * Revoking a refresh token's whole family and its grant, when a rotated token comes back (RFC 9700
 * §4.14.2) or the client revokes it (RFC 7009 §2.1).
 */
export interface RefreshFamilyRevocationStorage {
  readonly refreshTokens: Pick<RefreshTokenRepository, 'revokeFamily'>;
  readonly grants: Pick<GrantRepository, 'revoke'>;
  readonly audit: Pick<AuditRepository, 'record'>;
}

/** The ID token and userinfo (OpenID Connect Core §3.1.3.3, §5.3): the person's name and email. */
export interface IdTokenStorage {
  readonly accounts: Pick<AccountRepository, 'findUser'>;
}

/**
 * The authorization_code grant (RFC 6749 §4.1.3): redeem the code once (read and judge it, consume it,
 * check and touch its grant, start a refresh token family: one transaction), revoke the grant on a replay.
 */
export interface AuthorizationCodeGrantStorage extends IdTokenStorage {
  readonly codes: Pick<CodeRepository, 'redeem'>;
  readonly grants: Pick<GrantRepository, 'revoke'>;
  readonly audit: Pick<AuditRepository, 'record'>;
}

/**
 * The refresh_token grant (RFC 6749 §6): rotate the token once (read and judge it, check and touch its
 * grant, consume it, store the next: one transaction), revoke the family on reuse. With `openid`,
 * the grant is read for when the person signed in (the new ID token's `auth_time`).
 */
export type RefreshTokenGrantStorage = RefreshFamilyRevocationStorage &
  IdTokenStorage & {
    readonly refreshTokens: Pick<RefreshTokenRepository, 'rotate'>;
    readonly grants: Pick<GrantRepository, 'find'>;
  };

/** Introspection (RFC 7662): authenticate the caller, check access tokens and refresh tokens. */
export type IntrospectionStorage = ClientAuthenticationStorage &
  AccessTokenStorage & {
    readonly refreshTokens: Pick<RefreshTokenRepository, 'find'>;
    readonly grants: Pick<GrantRepository, 'isActive'>;
  };

/** Revocation (RFC 7009): authenticate the caller, revoke an access token or a refresh token family. */
export type RevocationStorage = ClientAuthenticationStorage &
  AccessTokenStorage &
  RefreshFamilyRevocationStorage & {
    readonly revocations: Pick<RevocationRepository, 'revoke'>;
    readonly refreshTokens: Pick<RefreshTokenRepository, 'find'>;
  };

/**
 * Leaked-secret intake (./secret-scanning.ts): find the reported secret; mark it, audit it and
 * announce it in one transaction; then tell every instance's caches the client changed.
 */
export interface SecretScanningStorage {
  readonly leakedSecrets: Pick<LeakedSecretRepository, 'findByHash'>;
  transaction<T>(
    fn: (tx: {
      readonly leakedSecrets: Pick<LeakedSecretRepository, 'markLeaked'>;
      readonly audit: Pick<AuditRepository, 'record'>;
      readonly outbox: Outbox;
    }) => Promise<T>,
  ): Promise<T>;
}

/** Drops cached copies of a client at every instance once it changed. */
export interface ClientChangeNotices {
  publish(kind: 'client', clientId: string): Promise<void>;
}
