/**
 * Client metadata of RFC 7591 §2, as software that registers itself sends it: every field checked
 * and turned into a registration, or refused with the RFC 7591 §3.2.2 error that names it. The
 * rules are the console's (./client-registration.ts), plus what a client without an owner may not
 * have: client_credentials (it speaks for no organization) and the reserved `latchkey:*` scopes.
 * Unknown fields are ignored (§2); a null is an omitted field (RFC 7592 §2.2).
 */

import { isEmailAddress } from '../accounts/email.ts';
import type { Config } from '../config/index.ts';
import {
  CredentialsError,
  checkClientKeys,
  checkRedirectUris,
  checkScopes,
  tokenEndpointAuthMethod,
} from './client-registration.ts';
import { OAuthError } from './errors.ts';
import type { Client, GrantType } from './model/clients.ts';
import { formatScope, isReservedScope, parseScope } from './scope.ts';

export type RegistrationAuthMethod =
  | 'none'
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'private_key_jwt';
const authMethods: readonly string[] = [
  'none',
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
];

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

/** Caps on what a caller may have stored, so one registration stays small. */
const maxNameLength = 100;
const maxUriLength = 2000;
const maxContacts = 10;
const maxSoftwareTextLength = 200;
/** RFC 7591 §2: links about the software, shown to people, never fetched by the server. */
const linkFields = ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri'] as const;

const refuse = (description: string): OAuthError => new OAuthError('invalid_client_metadata', description);
const refuseRedirect = (description: string): OAuthError =>
  new OAuthError('invalid_redirect_uri', description);

// Control and invisible formatting characters (bidirectional overrides, zero-width joiners) would
// let a name or version read differently on the consent page from what it is.
const hidden = /[\p{Cc}\p{Cf}]/u;

/** Reads and checks RFC 7591 client metadata; throws an OAuthError naming the first problem. */
export function readRegistrationMetadata(
  body: unknown,
  config: Pick<Config, 'scopes' | 'jwksUriAllowedHosts'>,
): RegistrationMetadata {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw refuse('The registration must be a JSON object of client metadata (RFC 7591 §2)');
  const field = (name: string): unknown =>
    Object.hasOwn(body, name) ? ((body as Record<string, unknown>)[name] ?? undefined) : undefined;

  const name = text(field('client_name'), 'client_name', maxNameLength);
  if (name === undefined) throw refuse('client_name is required: the name people see at consent');

  const grantTypes = strings(field('grant_types'), 'grant_types') ?? ['authorization_code'];
  for (const grant of grantTypes) {
    if (grant === 'client_credentials')
      throw refuse('grant_types: client_credentials is not available to a client that registered itself');
    if (grant !== 'authorization_code' && grant !== 'refresh_token')
      throw refuse(`grant_types: "${grant}" is not supported; use authorization_code and refresh_token`);
  }
  if (!grantTypes.includes('authorization_code')) throw refuse('grant_types must include authorization_code');
  const responseTypes = strings(field('response_types'), 'response_types') ?? ['code'];
  // RFC 7591 §2.1: response_types and grant_types must agree; the code flow is the only one here.
  if (responseTypes.length !== 1 || responseTypes[0] !== 'code')
    throw refuse('response_types must be ["code"], the response type of authorization_code');

  const redirectUris = uriList(field('redirect_uris'), 'redirect_uris');
  if (redirectUris.length === 0)
    throw refuseRedirect('redirect_uris is required: at least one URL for the authorization_code grant');
  const postLogoutRedirectUris = uriList(field('post_logout_redirect_uris'), 'post_logout_redirect_uris');

  const scopeText = field('scope');
  if (scopeText !== undefined && typeof scopeText !== 'string')
    throw refuse('scope must be a string of space-separated scopes');
  // Omitted (or empty, RFC 7592 §2.2): what the console gives, the whole catalog.
  const scopes = scopeText
    ? parseScope(scopeText)
    : Object.keys(config.scopes).filter((scope) => !isReservedScope(scope));
  asRegistrationError(() => checkScopes(scopes, config.scopes, false), refuse, 'scope');

  const method = field('token_endpoint_auth_method') ?? 'client_secret_basic';
  if (typeof method !== 'string' || !authMethods.includes(method))
    throw refuse(`token_endpoint_auth_method must be one of ${authMethods.join(', ')}`);
  const authMethod = method as RegistrationAuthMethod;
  // Its shape is checkClientKeys' to judge: a JWK set of public keys.
  const jwks = field('jwks') as { keys: Record<string, unknown>[] } | undefined;
  const jwksUri = field('jwks_uri');
  if (jwksUri !== undefined && typeof jwksUri !== 'string') throw refuse('jwks_uri must be a string');
  if (authMethod === 'private_key_jwt') {
    if (jwks === undefined && jwksUri === undefined)
      throw refuse('private_key_jwt needs the public keys: jwks or jwks_uri');
    const keys = { jwks, jwksUri };
    const label = jwksUri === undefined ? 'jwks' : 'jwks_uri';
    asRegistrationError(() => checkClientKeys(keys, false, config.jwksUriAllowedHosts), refuse, label);
  } else if (jwks !== undefined || jwksUri !== undefined) {
    throw refuse('jwks and jwks_uri are for token_endpoint_auth_method private_key_jwt only');
  }

  return {
    name,
    redirectUris,
    grantTypes: [...new Set(grantTypes)] as GrantType[],
    scopes,
    authMethod,
    jwks: jwks ?? null,
    jwksUri: jwksUri ?? null,
    requirePar: flag(field('require_pushed_authorization_requests'), 'require_pushed_authorization_requests'),
    requireDpop: flag(field('dpop_bound_access_tokens'), 'dpop_bound_access_tokens'),
    postLogoutRedirectUris,
    softwareMetadata: softwareMetadata(field, authMethod),
  };

  /** A list of redirect URLs under the console's rules (./redirect-uri.ts), its length included. */
  function uriList(value: unknown, label: string): string[] {
    const uris = value === undefined ? [] : value;
    if (!Array.isArray(uris) || uris.some((uri) => typeof uri !== 'string'))
      throw refuseRedirect(`${label} must be an array of URL strings`);
    const words = label === 'redirect_uris' ? 'Redirect URL' : 'Post-logout redirect URL';
    asRegistrationError(() => checkRedirectUris(uris as string[], words), refuseRedirect, label);
    return uris as string[];
  }
}

/** What the software says of itself beyond the stored fields, kept and returned as registered. */
function softwareMetadata(
  field: (name: string) => unknown,
  authMethod: RegistrationAuthMethod,
): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  for (const name of linkFields) {
    const value = field(name);
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length > maxUriLength || hidden.test(value) || !isHttpsLink(value))
      throw refuse(`${name} must be an https URL of at most ${maxUriLength} characters`);
    out[name] = value;
  }
  const contacts = strings(field('contacts'), 'contacts');
  if (contacts !== undefined) {
    if (contacts.length > maxContacts) throw refuse(`contacts: at most ${maxContacts} email addresses`);
    const bad = contacts.find((c) => !isEmailAddress(c) || hidden.test(c));
    if (bad !== undefined) throw refuse('contacts must be email addresses');
    out.contacts = contacts;
  }
  for (const name of ['software_id', 'software_version']) {
    const value = text(field(name), name, maxSoftwareTextLength);
    if (value !== undefined) out[name] = value;
  }
  // Both secret methods work at the token endpoint; the one the software named is answered back.
  if (authMethod === 'client_secret_post') out.token_endpoint_auth_method = authMethod;
  return Object.keys(out).length > 0 ? out : null;
}

/** A short human-readable string: trimmed, not empty, no hidden characters. */
function text(value: unknown, name: string, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw refuse(`${name} must be a string`);
  const trimmed = value.trim();
  if (trimmed === '' || trimmed.length > max) throw refuse(`${name} must be 1 to ${max} characters`);
  if (hidden.test(trimmed)) throw refuse(`${name} must not contain control or invisible characters`);
  return trimmed;
}

function strings(value: unknown, name: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw refuse(`${name} must be an array of strings`);
  return value as string[];
}

function flag(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw refuse(`${name} must be true or false`);
  return value;
}

function isHttpsLink(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

/** The console's checks throw CredentialsError; here they become the RFC 7591 error naming the field. */
function asRegistrationError(
  check: () => void,
  refusal: (description: string) => OAuthError,
  field: string,
): void {
  try {
    check();
  } catch (error) {
    if (error instanceof CredentialsError)
      throw refusal(error.message.startsWith(field) ? error.message : `${field}: ${error.message}`);
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
