// Pushed authorization requests (RFC 9126) and their single-use storage.
// The protocol core's own types: src/store implements the storage interfaces here, never the reverse.

/** A pushed authorization request (RFC 9126 §2), found by the SHA-256 of its request_uri. */
export interface PushedRequest {
  uriHash: string;
  clientId: string;
  params: Record<string, string>;
  expiresAt: number;
}

export interface PushedRequestRepository {
  create(request: PushedRequest): Promise<void>;
  /** Single use (RFC 9126 §7.3): returns the request to the one caller that removed it, if unexpired. */
  take(uriHash: string, now: number): Promise<PushedRequest | undefined>;
  prune(before: number): Promise<void>;
}
