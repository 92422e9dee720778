import { TokenVerificationError } from './errors.ts';

export type FetchFunction = typeof fetch;

/** The RFC 8414 §2 fields the verifier reads. */
export interface VerifierMetadata {
  issuer: string;
  jwks_uri?: string;
  introspection_endpoint?: string;
}

/** Fetches `${issuer}/.well-known/oauth-authorization-server` and checks it names the same issuer. */
export async function fetchVerifierMetadata(
  issuer: string,
  fetchImpl: FetchFunction,
): Promise<VerifierMetadata> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/oauth-authorization-server`;
  const metadata = (await fetchJson(url, fetchImpl)) as Partial<VerifierMetadata>;
  // RFC 8414 §3.3: a document naming another issuer must not be used.
  if (metadata.issuer !== issuer) {
    throw unavailable(`metadata at ${url} names issuer "${metadata.issuer}", expected "${issuer}"`);
  }
  return metadata as VerifierMetadata;
}

export async function fetchJson(url: string, fetchImpl: FetchFunction, init?: RequestInit): Promise<unknown> {
  let response: Response;
  try {
    response = await fetchImpl(url, { ...init, headers: { accept: 'application/json', ...init?.headers } });
  } catch (cause) {
    throw unavailable(`${url} could not be fetched`, cause);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw unavailable(`${url} answered ${response.status}`);
  }
  try {
    return await response.json();
  } catch (cause) {
    throw unavailable(`${url} did not answer JSON`, cause);
  }
}

function unavailable(description: string, cause?: unknown): TokenVerificationError {
  return new TokenVerificationError('temporarily_unavailable', description, { cause });
}
