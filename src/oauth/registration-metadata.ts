/**
 * Client metadata of RFC 7591 §2 at the registration endpoint: every field checked by the readers
 * metadata documents use too (./client-metadata.ts) and turned into a registration, or refused with
 * the RFC 7591 §3.2.2 error that names it. What is the endpoint's own: client_name is required (the
 * consent page names the software by it), a secret-based method is the default and may be chosen,
 * and a null is an omitted field (RFC 7592 §2.2). Unknown fields are ignored (§2).
 */
import type { Config } from '../config/index.ts';
import {
  ClientMetadataError,
  readClientKeys,
  readClientName,
  readFlag,
  readGrantTypes,
  readRedirectUris,
  readScopes,
  readSoftwareMetadata,
} from './client-metadata.ts';
import { tokenEndpointAuthMethod } from './client-rules.ts';
import { OAuthError } from './errors.ts';
import type { Client, GrantType } from './model/clients.ts';
import { formatScope } from './scope.ts';

const authMethods = ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
export type RegistrationAuthMethod = (typeof authMethods)[number];

/** A registration as it will be stored: the client's fields, and what it says of itself. */
export interface RegistrationMetadata {
  name: string;
  redirectUris: string[];
  grantTypes: GrantType[];
  scopes: string[];
  authMethod: RegistrationAuthMethod;
  jwks: { keys: Record<string, unknown>[] } | null;
  jwksUri: string | null;
  requirePar: boolean;
  requireDpop: boolean;
  postLogoutRedirectUris: string[];
  softwareMetadata: Record<string, unknown> | null;
}

/** RFC 7591 §3.2.2: a redirect URL refused is invalid_redirect_uri, any other value invalid_client_metadata. */
function asRegistrationError(error: ClientMetadataError): OAuthError {
  const redirect = error.field === 'redirect_uris' || error.field === 'post_logout_redirect_uris';
  return new OAuthError(redirect ? 'invalid_redirect_uri' : 'invalid_client_metadata', error.message);
}

/** Reads and checks RFC 7591 client metadata; throws an OAuthError naming the first problem. */
export function readRegistrationMetadata(
  body: unknown,
  config: Pick<Config, 'scopes' | 'jwksUriAllowedHosts'>,
): RegistrationMetadata {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new OAuthError(
      'invalid_client_metadata',
      'The registration must be a JSON object of client metadata (RFC 7591 §2)',
    );
  // RFC 7592 §2.2: a null is a field left out.
  const field = (name: string): unknown =>
    Object.hasOwn(body, name) ? ((body as Record<string, unknown>)[name] ?? undefined) : undefined;
  try {
    const name = readClientName(field('client_name'));
    if (name === undefined)
      throw new ClientMetadataError('client_name', 'client_name is required: the name people see at consent');
    const grantTypes = readGrantTypes(field('grant_types'), field('response_types'));
    const redirectUris = readRedirectUris(field('redirect_uris'), 'redirect_uris');
    if (redirectUris.length === 0)
      throw new ClientMetadataError('redirect_uris', 'redirect_uris must list at least one redirect URL');
    const method = field('token_endpoint_auth_method') ?? 'client_secret_basic';
    if (!authMethods.includes(method as RegistrationAuthMethod)) {
      throw new ClientMetadataError(
        'token_endpoint_auth_method',
        `token_endpoint_auth_method must be one of ${authMethods.join(', ')}`,
      );
    }
    const authMethod = method as RegistrationAuthMethod;
    const keys = readClientKeys(
      field('jwks'),
      field('jwks_uri'),
      authMethod === 'private_key_jwt',
      config.jwksUriAllowedHosts,
    );
    const said = readSoftwareMetadata(field);
    // Both secret methods work at the token endpoint; the one the software named is answered back.
    const softwareMetadata =
      authMethod === 'client_secret_post' ? { ...said, token_endpoint_auth_method: authMethod } : said;
    return {
      name,
      redirectUris,
      grantTypes,
      scopes: readScopes(field('scope'), config.scopes),
      authMethod,
      ...keys,
      requirePar: readFlag(
        field('require_pushed_authorization_requests'),
        'require_pushed_authorization_requests',
      ),
      requireDpop: readFlag(field('dpop_bound_access_tokens'), 'dpop_bound_access_tokens'),
      postLogoutRedirectUris: readRedirectUris(
        field('post_logout_redirect_uris'),
        'post_logout_redirect_uris',
      ),
      softwareMetadata,
    };
  } catch (error) {
    if (error instanceof ClientMetadataError) throw asRegistrationError(error);
    throw error;
  }
}

/** How a client authenticates, by kind: a registration may not change it (RFC 7592 §2.2 replace). */
export const authKind = (method: RegistrationAuthMethod): 'none' | 'secret' | 'keys' =>
  method === 'none' ? 'none' : method === 'private_key_jwt' ? 'keys' : 'secret';

/** The method a stored client registered with. */
export function registeredAuthMethod(c: Client): RegistrationAuthMethod {
  const named = c.softwareMetadata?.token_endpoint_auth_method;
  return named === 'client_secret_post' ? named : tokenEndpointAuthMethod(c);
}

/**
 * RFC 7591 §3.2.1: every registered field, as the software may read it back (RFC 7592 §3). Never
 * a secret or a registration access token: the caller adds those it may show.
 */
export function presentRegistration(c: Client): Record<string, unknown> {
  const { token_endpoint_auth_method: _, ...said } = c.softwareMetadata ?? {};
  const method = registeredAuthMethod(c);
  return {
    client_id: c.id,
    client_id_issued_at: Math.floor(c.createdAt / 1000),
    client_name: c.name,
    redirect_uris: c.redirectUris,
    grant_types: c.grantTypes,
    response_types: ['code'],
    token_endpoint_auth_method: method,
    scope: formatScope(c.scopes),
    ...(c.jwks && { jwks: c.jwks }),
    ...(c.jwksUri && { jwks_uri: c.jwksUri }),
    post_logout_redirect_uris: c.postLogoutRedirectUris,
    require_pushed_authorization_requests: c.requirePar,
    dpop_bound_access_tokens: c.requireDpop,
    ...said,
    // A secret was issued and never expires (RFC 7591 §3.2.1: 0).
    ...(authKind(method) === 'secret' && { client_secret_expires_at: 0 }),
  };
}
