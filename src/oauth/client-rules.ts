// The rules every registration of credentials passes, whoever registers them: the console, the
// CLI and the admin API (./client-registration.ts), and software registering itself
// (./client-metadata.ts). Each throws the first problem as a CredentialsError, in words to act on.
import { urlProblem } from '../net/guarded-fetch.ts';
import type { Client } from './model/clients.ts';
import { redirectUriCountProblem, redirectUriProblems } from './redirect-uri.ts';
import { cliOnlyScopes, isReservedScope } from './scope.ts';

export class CredentialsError extends Error {
  override name = 'CredentialsError';
}

/** Scopes a client may hold: the catalog's, and reserved ones only where the operator grants them. */
export function checkScopes(
  scopes: readonly string[],
  catalog: Readonly<Record<string, string>>,
  allowCliOnlyScopes: boolean,
): void {
  const reserved = scopes.find(
    (scope) => isReservedScope(scope) && !(allowCliOnlyScopes && cliOnlyScopes.includes(scope)),
  );
  if (reserved) {
    throw new CredentialsError(
      cliOnlyScopes.includes(reserved)
        ? `The scope "${reserved}" can be granted only from the command line`
        : `Unknown scope "${reserved}"`,
    );
  }
  const unknownScope = scopes.find((scope) => !isReservedScope(scope) && !Object.hasOwn(catalog, scope));
  if (unknownScope) {
    throw new CredentialsError(
      `Unknown scope "${unknownScope}"; the catalog has ${Object.keys(catalog).join(', ')}`,
    );
  }
}

/** The redirect URIs' rules (./redirect-uri.ts), the number of them included: the first problem, thrown. */
export function checkRedirectUris(uris: readonly string[], label = 'Redirect URL'): void {
  const tooMany = redirectUriCountProblem(uris.length);
  if (tooMany) throw new CredentialsError(label === 'Redirect URL' ? tooMany : `${label}s: ${tooMany}`);
  const problem = redirectUriProblems(uris)[0];
  if (problem) throw new CredentialsError(`${label} ${problem.uri}: ${problem.problem}`);
}

/** RFC 7591 §2 token_endpoint_auth_method: how these credentials authenticate. */
export const tokenEndpointAuthMethod = (c: Pick<Client, 'isPublic' | 'jwks' | 'jwksUri'>) =>
  c.isPublic ? 'none' : c.jwks || c.jwksUri ? 'private_key_jwt' : 'client_secret_basic';

/**
 * A JWK set of public signing keys, or an https URL that does not point inside (http, and
 * non-public addresses, only for hosts in LATCHKEY_JWKS_URI_ALLOWED_HOSTS): never both, never
 * private keys.
 */
export function checkClientKeys(
  input: { jwks?: Client['jwks'] | undefined; jwksUri?: string | undefined },
  isPublic: boolean,
  allowedHosts: readonly string[],
): void {
  const { jwks, jwksUri } = input;
  if (jwks === undefined && jwksUri === undefined) return;
  if (isPublic) throw new CredentialsError('Public clients have no keys: leave out --jwks and --jwks-uri');
  if (jwks !== undefined && jwksUri !== undefined)
    throw new CredentialsError('Give jwks or jwks_uri, not both');
  if (jwks !== undefined) {
    const keys = (jwks as { keys?: unknown }).keys;
    if (!Array.isArray(keys) || keys.length === 0)
      throw new CredentialsError('jwks must be a JWK set: {"keys": [...]} with at least one key');
    for (const key of keys as Record<string, unknown>[]) {
      if (typeof key !== 'object' || key === null || typeof key.kty !== 'string')
        throw new CredentialsError('Every key in jwks needs a kty');
      if (key.d !== undefined || key.k !== undefined)
        throw new CredentialsError('jwks must hold public keys only (a private or symmetric key was given)');
    }
  }
  if (jwksUri !== undefined) {
    const problem = urlProblem(jwksUri, allowedHosts);
    if (problem) throw new CredentialsError(`jwks_uri ${jwksUri} ${problem}${allowHint(problem)}`);
  }
}

/** Where the operator can make an exception for a host (tests, a lab), when the refusal allows one. */
const allowHint = (problem: string): string =>
  problem.startsWith('must use https') || problem.startsWith('must not point')
    ? ' (unless LATCHKEY_JWKS_URI_ALLOWED_HOSTS lists its host)'
    : '';
