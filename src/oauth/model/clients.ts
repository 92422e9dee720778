// A client registration (RFC 6749 §2) and its secrets, and the storage that keeps them.
// The protocol core's own types: src/store implements the storage interfaces here, never the reverse.
import type { Page, PageQuery } from './pages.ts';

export type GrantType = 'authorization_code' | 'refresh_token' | 'client_credentials';

/**
 * How a client came to be: made by a person, the CLI or the admin API for an organization
 * (`console`), or software that registered itself, by a Client ID Metadata Document (its id is the
 * document's URL) or by RFC 7591 dynamic registration. Self-registered clients have no owner.
 */
export type ClientOrigin = 'console' | 'metadata_document' | 'dynamic';

export interface Client {
  id: string;
  /** The organization that owns it; null for software that registered itself. */
  orgId: string | null;
  name: string;
  redirectUris: string[];
  grantTypes: GrantType[];
  /** The scopes this client may request; a subset of the operator's catalog. */
  scopes: string[];
  isPublic: boolean;
  /** Legacy confidential client that may skip PKCE (only when the operator allows it). */
  pkceOptional: boolean;
  createdBy: string | null;
  createdAt: number;
  updatedAt: number;
  /** private_key_jwt (RFC 7523): the client's public keys, or where to fetch them. */
  jwks: { keys: Record<string, unknown>[] } | null;
  jwksUri: string | null;
  /** RFC 9126 §6: authorization requests only through PAR. */
  requirePar: boolean;
  /** RFC 9449: access tokens only with a DPoP proof. */
  requireDpop: boolean;
  /** RP-Initiated Logout 1.0 §3: exact URLs a sign-out may return to. */
  postLogoutRedirectUris: string[];
  origin: ClientOrigin;
  /** When the operator blocked it (epoch ms): refused everywhere as `invalid_client`. */
  blockedAt: number | null;
  /**
   * What self-registered software said of itself beyond the fields above (RFC 7591 §2:
   * `client_uri`, `logo_uri`, `tos_uri`, `policy_uri`, `contacts`, `software_id`, …), as registered.
   */
  softwareMetadata: Record<string, unknown> | null;
  /** A metadata document's client: when its document is to be fetched again (epoch ms). */
  metadataExpiresAt?: number;
}

/** Registration fields a client has only when asked for (all default to off). */
type OptionalFields =
  | 'jwks'
  | 'jwksUri'
  | 'requirePar'
  | 'requireDpop'
  | 'postLogoutRedirectUris'
  | 'origin'
  | 'softwareMetadata';

export interface ClientSecret {
  id: string;
  clientId: string;
  secretHash: string;
  hint: string;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  createdBy: string | null;
  /** When a secret scanner reported it leaked (absent when it never was). */
  leakedAt?: number;
}

export type NewClient = Omit<
  Client,
  'createdAt' | 'updatedAt' | 'blockedAt' | 'metadataExpiresAt' | OptionalFields
> &
  Partial<Pick<Client, OptionalFields>> & {
    /** RFC 7592 §3: the SHA-256 of the registration access token of a dynamically registered client. */
    registrationTokenHash?: string;
  };

/**
 * A client as its metadata document describes it (draft-ietf-oauth-client-id-metadata-document):
 * the id is the document's URL, it belongs to no organization, and nobody created it.
 */
export type DocumentClient = Omit<NewClient, 'orgId' | 'createdBy' | 'origin' | 'pkceOptional'>;
export type ClientUpdate = Partial<
  Pick<
    Client,
    | 'name'
    | 'redirectUris'
    | 'grantTypes'
    | 'scopes'
    | 'pkceOptional'
    | 'isPublic'
    | Exclude<OptionalFields, 'origin'>
  >
>;

export interface ClientRepository {
  create(client: NewClient): Promise<Client>;
  find(id: string): Promise<Client | undefined>;
  /** The client whose RFC 7592 registration access token has this SHA-256 (read fresh, never cached). */
  findByRegistrationToken(tokenHash: string): Promise<Client | undefined>;
  /** The clients among `ids` that exist, in no particular order. */
  findMany(ids: readonly string[]): Promise<Client[]>;
  list(orgId?: string): Promise<Client[]>;
  /** One organization's clients, or (null) those of no organization, oldest first (the admin API). */
  page(orgId: string | null, page: PageQuery): Promise<Page<Client>>;
  update(id: string, update: ClientUpdate): Promise<void>;
  /**
   * Stores the client a metadata document describes, until `expiresAt`: made the first time, its
   * registration replaced afterwards. Never changes `blockedAt`, `createdAt`, or a client of
   * another origin. `changed`: the registration differs from what was stored (not only the expiry).
   */
  saveDocumentClient(
    client: DocumentClient,
    expiresAt: number,
  ): Promise<{ client: Client; changed: boolean }>;
  /**
   * Marks it blocked at `at`, in one conditional update: true when this call blocked it; false when
   * it was blocked already (the first time is kept) or there is no such client.
   */
  block(id: string, at: number): Promise<boolean>;
  /** Deletes the client and, by cascade, its secrets, grants, codes and refresh tokens. */
  delete(id: string): Promise<boolean>;
  addSecret(secret: Omit<ClientSecret, 'lastUsedAt' | 'leakedAt'>): Promise<void>;
  /** Newest first. */
  secrets(clientId: string): Promise<ClientSecret[]>;
  /** The secrets of several clients at once (a list page), newest first. */
  secretsOf(clientIds: readonly string[]): Promise<ClientSecret[]>;
  /** Sets an expiry on every secret of the client except `keepId` that has none or a later one. */
  expireSecrets(clientId: string, at: number, keepId: string): Promise<void>;
  touchSecret(id: string, at: number): Promise<void>;
}
