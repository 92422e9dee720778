import type { ColumnType } from 'kysely';

/** A nullable column added later (004): inserts written before it may leave it out. */
type Optional<T> = ColumnType<T | null, T | null | undefined, T | null>;

/**
 * Table types for Kysely. Timestamps are epoch milliseconds (bigint on PostgreSQL, parsed to number);
 * booleans are 0/1 integers and lists are JSON text, so the same SQL runs on SQLite and PostgreSQL.
 */
export interface OrganizationsTable {
  id: string;
  name: string;
  /** The platform's own id for this organization (004). */
  external_id: Optional<string>;
  created_at: number;
}

export interface UsersTable {
  id: string;
  email: string;
  /** Empty for people who never sign in with a password (provisioned by the admin API). */
  password_hash: string;
  name: Optional<string>;
  /** The platform's own id for this person (004). */
  external_id: Optional<string>;
  created_at: number;
}

export interface MembershipsTable {
  org_id: string;
  user_id: string;
  role: 'admin' | 'developer' | 'member';
  created_at: number;
}

export interface ClientsTable {
  id: string;
  /** Null for software that registered itself (011): it belongs to no organization. */
  org_id: string | null;
  name: string;
  /** JSON array of exact redirect URIs. */
  redirect_uris: string;
  /** JSON array of grant types. */
  grant_types: string;
  /** JSON array of scopes the client may request. */
  scopes: string;
  is_public: number;
  /** 1 for a confidential client registered as legacy: PKCE not required (RFC 9700 §2.1.1). */
  pkce_optional: number;
  created_by: string | null;
  created_at: number;
  updated_at: number;
  /** private_key_jwt (006): a JWK set as JSON text, or its URL. */
  jwks: string | null;
  jwks_uri: string | null;
  require_par: number;
  require_dpop: number;
  /** JSON array of exact URLs a sign-out may return to (008; null before: none). */
  post_logout_redirect_uris: string | null;
  /** How it was registered (011): 'console', 'metadata_document' or 'dynamic'. */
  origin: ColumnType<string, string | undefined, string>;
  blocked_at: Optional<number>;
  /** JSON: what self-registered software said of itself (RFC 7591 §2). */
  software_metadata: Optional<string>;
  /** SHA-256 of the RFC 7592 registration access token. */
  registration_token_hash: Optional<string>;
  /** A metadata document's client: when to fetch the document again (epoch ms). */
  metadata_expires_at: Optional<number>;
}

/** RFC 7591 §3: initial access tokens for `LATCHKEY_DYNAMIC_REGISTRATION=token` (011), hashed. */
export interface InitialAccessTokensTable {
  id: string;
  token_hash: string;
  created_at: number;
  expires_at: number | null;
  created_by: string | null;
  revoked_at: number | null;
}

export interface ClientSecretsTable {
  id: string;
  client_id: string;
  /** SHA-256 of the secret, hex. */
  secret_hash: string;
  /** The last characters of the secret, so a person can tell secrets apart. */
  hint: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  created_by: string | null;
  /** When a secret scanner reported it as leaked (006). */
  leaked_at: number | null;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  private_jwk: string;
  public_jwk: string;
  created_at: number;
  /** When a newer key took over signing; null while this key signs. */
  retired_at: number | null;
}

export interface GrantsTable {
  id: string;
  client_id: string;
  user_id: string;
  org_id: string;
  scope: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  /** OpenID Connect: when the person signed in to grant it, epoch ms (010). */
  auth_time: number | null;
}

export interface AuthorizationCodesTable {
  code_hash: string;
  client_id: string;
  grant_id: string;
  user_id: string;
  org_id: string;
  redirect_uri: string;
  scope: string;
  code_challenge: string | null;
  expires_at: number;
  consumed_at: number | null;
  created_at: number;
  /** 1 when the authorization request named redirect_uri: the token request must repeat it (002). */
  redirect_uri_sent: number;
  /** RFC 8707 resource indicator of the authorization request (006). */
  resource: string | null;
  /** OpenID Connect: the request's `nonce`, and when the person signed in, epoch ms (010). */
  nonce: string | null;
  auth_time: number | null;
}

export interface RefreshTokensTable {
  token_hash: string;
  /** All tokens rotated from one code share a family; reuse revokes the family (RFC 9700 §4.14.2). */
  family_id: string;
  client_id: string;
  grant_id: string;
  user_id: string;
  org_id: string;
  scope: string;
  created_at: number;
  expires_at: number;
  family_expires_at: number;
  consumed_at: number | null;
  revoked_at: number | null;
  resource: string | null;
  /** RFC 9449 §5: the DPoP key a public client's refresh tokens are bound to (006). */
  dpop_jkt: string | null;
}

export interface SessionsTable {
  /** SHA-256 of the session cookie value, hex (002). */
  id_hash: string;
  user_id: string;
  csrf_token: string;
  active_org_id: string | null;
  created_at: number;
  expires_at: number;
}

/** An authorization request waiting for sign-in and consent (002). */
export interface AuthorizationRequestsTable {
  id: string;
  client_id: string;
  redirect_uri: string;
  redirect_uri_sent: number;
  scope: string;
  state: string | null;
  code_challenge: string | null;
  prompt: string | null;
  created_at: number;
  expires_at: number;
  resource: string | null;
  /** OpenID Connect `max_age` and `login_hint` (008). */
  max_age: number | null;
  login_hint: string | null;
  /** OpenID Connect: echoed in the ID token (010). */
  nonce: string | null;
}

export interface RevokedTokensTable {
  jti: string;
  expires_at: number;
}

export interface AuditEventsTable {
  id: string;
  org_id: string | null;
  actor: string | null;
  client_id: string | null;
  action: string;
  detail: string;
  created_at: number;
}

/** Console activity per client and minute (003): counted in memory, flushed as sums. */
export interface ClientActivityTable {
  client_id: string;
  /** Start of the minute, epoch milliseconds. */
  minute: number;
  tokens_issued: number;
  rate_limited: number;
}

/** Webhook events waiting for delivery (004): written in the transaction of the change. */
export interface WebhookOutboxTable {
  id: string;
  type: string;
  payload: string;
  /** Secret fields of `data`, encrypted, until delivered (008; src/store/outbox.ts). */
  sealed: string | null;
  created_at: number;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  delivered_at: number | null;
  failed_at: number | null;
  last_error: string | null;
}

/** A person's account at the platform's OpenID provider, linked by (issuer, sub) (005). */
export interface LoginIdentitiesTable {
  issuer: string;
  subject: string;
  user_id: string;
  created_at: number;
  last_login_at: number;
}

/** A one-time link that adds a person to an organization (005). */
export interface InvitationsTable {
  id: string;
  org_id: string;
  email: string;
  role: 'admin' | 'developer' | 'member';
  /** SHA-256 of the link's token, hex. */
  token_hash: string;
  invited_by: string | null;
  created_at: number;
  expires_at: number;
  accepted_at: number | null;
  accepted_by: string | null;
}

/** A person asking their organization's admins for console access (005). */
export interface AccessRequestsTable {
  id: string;
  org_id: string;
  user_id: string;
  created_at: number;
  decision: 'approved' | 'declined' | null;
  decided_by: string | null;
  decided_at: number | null;
}

/** A pushed authorization request (RFC 9126, 006), by the SHA-256 of its request_uri. */
export interface PushedRequestsTable {
  uri_hash: string;
  client_id: string;
  /** The validated request parameters, JSON text. */
  params: string;
  expires_at: number;
}

/** One-time values (006): used assertion and proof `jti`s, DPoP nonces handed out. */
export interface SeenValuesTable {
  key: string;
  expires_at: number;
}

export interface Database {
  organizations: OrganizationsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  clients: ClientsTable;
  initial_access_tokens: InitialAccessTokensTable;
  client_secrets: ClientSecretsTable;
  signing_keys: SigningKeysTable;
  grants: GrantsTable;
  authorization_codes: AuthorizationCodesTable;
  refresh_tokens: RefreshTokensTable;
  revoked_tokens: RevokedTokensTable;
  audit_events: AuditEventsTable;
  sessions: SessionsTable;
  authorization_requests: AuthorizationRequestsTable;
  client_activity: ClientActivityTable;
  webhook_outbox: WebhookOutboxTable;
  login_identities: LoginIdentitiesTable;
  invitations: InvitationsTable;
  access_requests: AccessRequestsTable;
  pushed_requests: PushedRequestsTable;
  seen_values: SeenValuesTable;
}
