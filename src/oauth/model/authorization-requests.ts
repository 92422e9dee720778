// Pending authorizations: a validated request parked while the person signs in and consents.
// The protocol core's own types: src/store implements the storage interfaces here, never the reverse.

/** A validated authorization request parked while the person signs in and consents. */
export interface PendingAuthorization {
  id: string;
  clientId: string;
  redirectUri: string;
  redirectUriSent: boolean;
  scope: string;
  state: string | null;
  codeChallenge: string | null;
  prompt: string | null;
  createdAt: number;
  expiresAt: number;
  /** RFC 8707 resource indicator: the `aud` of the tokens. */
  resource?: string | null;
  /** OpenID Connect Core §3.1.2.1: the oldest sign-in accepted, in seconds. */
  maxAge?: number | null;
  /** OpenID Connect Core §3.1.2.1: who the client expects to sign in (fills the email field). */
  loginHint?: string | null;
  /** OpenID Connect Core §3.1.2.1: echoed in the ID token. */
  nonce?: string | null;
}

export interface AuthorizationRequestRepository {
  create(request: Omit<PendingAuthorization, 'id'>): Promise<PendingAuthorization>;
  find(id: string, now: number): Promise<PendingAuthorization | undefined>;
  /** Single use: true for the one caller that removed it (a double-submitted consent form gets false). */
  take(id: string): Promise<boolean>;
  prune(before: number): Promise<void>;
}
