import { LatchkeyError } from './errors.ts';

/** The RFC 8414 §2 fields the SDK reads. */
export interface AuthorizationServerMetadata {
  issuer: string;
  token_endpoint: string;
  authorization_endpoint?: string;
  jwks_uri?: string;
  introspection_endpoint?: string;
  revocation_endpoint?: string;
  scopes_supported?: string[];
  code_challenge_methods_supported?: string[];
  /** RFC 9207 §3: when true, every authorization response carries `iss`. */
  authorization_response_iss_parameter_supported?: boolean;
}

export type FetchFunction = typeof fetch;

/** Latchkey publishes its metadata at `${issuer}/.well-known/oauth-authorization-server`. */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/oauth-authorization-server`;
}

export async function fetchMetadata(
  issuer: string,
  fetchImpl: FetchFunction,
): Promise<AuthorizationServerMetadata> {
  let response: Response;
  try {
    response = await fetchImpl(discoveryUrl(issuer), { headers: { accept: 'application/json' } });
  } catch (cause) {
    throw new LatchkeyError('network_error', {
      description: `discovery at ${discoveryUrl(issuer)} failed`,
      cause,
    });
  }
  if (!response.ok) {
    throw new LatchkeyError('invalid_response', {
      status: response.status,
      description: `discovery at ${discoveryUrl(issuer)} answered ${response.status}`,
    });
  }
  const metadata = (await response.json()) as Partial<AuthorizationServerMetadata>;
  // RFC 8414 §3.3: the issuer in the document must be identical to the one we asked, or an
  // attacker-controlled document could redirect tokens elsewhere.
  if (metadata.issuer !== issuer) {
    throw new LatchkeyError('issuer_mismatch', {
      description: `metadata issuer "${metadata.issuer}" is not "${issuer}"`,
    });
  }
  if (typeof metadata.token_endpoint !== 'string') {
    throw new LatchkeyError('invalid_response', { description: 'metadata has no token_endpoint' });
  }
  return metadata as AuthorizationServerMetadata;
}

/** Fetches metadata once and remembers it; a failed fetch is forgotten so the next call retries. */
export function lazyMetadata(
  issuer: string,
  fetchImpl: FetchFunction,
): () => Promise<AuthorizationServerMetadata> {
  let pending: Promise<AuthorizationServerMetadata> | undefined;
  return () => {
    pending ??= fetchMetadata(issuer, fetchImpl).catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
