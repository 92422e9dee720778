// A client registration (RFC 6749 §2) and its secrets, and the storage that keeps them.
// The protocol core's own types: src/store implements the storage interfaces here, never the reverse.
import type { Page, PageQuery } from './pages.ts';

export type GrantType = 'authorization_code' | 'refresh_token' | 'client_credentials';

export interface Client {
  id: string;
  orgId: string;
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
}

/** Registration fields a client has only when asked for (all default to off). */
type OptionalFields = 'jwks' | 'jwksUri' | 'requirePar' | 'requireDpop' | 'postLogoutRedirectUris';

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

export type NewClient = Omit<Client, 'createdAt' | 'updatedAt' | OptionalFields> &
  Partial<Pick<Client, OptionalFields>>;
export type ClientUpdate = Partial<
  Pick<Client, 'name' | 'redirectUris' | 'grantTypes' | 'scopes' | 'pkceOptional' | OptionalFields>
>;

export interface ClientRepository {
  create(client: NewClient): Promise<Client>;
  find(id: string): Promise<Client | undefined>;
  /** The clients among `ids` that exist, in no particular order. */
  findMany(ids: readonly string[]): Promise<Client[]>;
  list(orgId?: string): Promise<Client[]>;
  /** One organization's clients, oldest first (the admin API). */
  page(orgId: string, page: PageQuery): Promise<Page<Client>>;
  update(id: string, update: ClientUpdate): Promise<void>;
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
