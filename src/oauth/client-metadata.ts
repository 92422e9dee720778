/**
 * RFC 7591 §2 client metadata as software that registers itself states it, by a metadata document
 * (./metadata-document.ts) or by dynamic registration (./registration-metadata.ts): one reader per
 * field, the same rules for both. What they leave to their callers: whether a field is required,
 * which authentication methods there are, and how a refusal is answered (a ClientMetadataError names
 * the field it is about). A field's value `undefined` means it was not given.
 */
import { isEmailAddress } from '../accounts/email.ts';
import { CredentialsError, checkClientKeys } from './client-rules.ts';
import type { Client, GrantType } from './model/clients.ts';
import { maxRedirectUriLength, redirectUriCountProblem, redirectUriProblems } from './redirect-uri.ts';
import { isReservedScope, parseScope } from './scope.ts';

/** A metadata value refused, with the field it is in (redirect URLs are told apart by RFC 7591 §3.2.2). */
export class ClientMetadataError extends Error {
  override name = 'ClientMetadataError';
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

const maxNameLength = 100;
const maxContacts = 10;
const maxSoftwareTextLength = 200;
/** RFC 7591 §2: links about the software, shown to people, never fetched by the server. */
const linkFields = ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri'] as const;
const selfRegisteredGrants: readonly GrantType[] = ['authorization_code', 'refresh_token'];

// Control and invisible formatting characters (line breaks, bidirectional overrides, zero-width
// joiners) would let a name read differently on the consent page from what it is.
const hidden = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

/** A value the caller sent, quoted in a message: recognizable, never the whole of a long one. */
export const shorten = (value: string): string => (value.length > 100 ? `${value.slice(0, 100)}…` : value);

/** client_name: trimmed, 1 to 100 characters, nothing hidden; undefined when not given. */
export function readClientName(value: unknown): string | undefined {
  return readText(value, 'client_name', maxNameLength);
}

/**
 * redirect_uris or post_logout_redirect_uris: the redirect URL rules (./redirect-uri.ts), the number
 * of them included. Empty when not given.
 */
export function readRedirectUris(
  value: unknown,
  field: 'redirect_uris' | 'post_logout_redirect_uris',
): string[] {
  if (value === undefined) return [];
  const uris = readStrings(value, field);
  const tooMany = redirectUriCountProblem(uris.length);
  if (tooMany) throw new ClientMetadataError(field, `${field}: ${tooMany}`);
  const problem = redirectUriProblems(uris)[0];
  if (problem) throw new ClientMetadataError(field, `${field}: ${shorten(problem.uri)}: ${problem.problem}`);
  return uris;
}

/**
 * grant_types (authorization_code when not given) within authorization_code and refresh_token:
 * client_credentials would speak for an organization such a client does not have. response_types
 * must agree (RFC 7591 §2.1): code.
 */
export function readGrantTypes(grantTypes: unknown, responseTypes: unknown): GrantType[] {
  const grants = grantTypes === undefined ? ['authorization_code'] : readStrings(grantTypes, 'grant_types');
  const other = grants.find((g) => !selfRegisteredGrants.includes(g as GrantType));
  if (other !== undefined) {
    throw new ClientMetadataError(
      'grant_types',
      `grant_types may hold authorization_code and refresh_token only (not ${shorten(other)}): software that registers itself acts for a person`,
    );
  }
  if (!grants.includes('authorization_code'))
    throw new ClientMetadataError('grant_types', 'grant_types must include authorization_code');
  if (responseTypes !== undefined) {
    const types = readStrings(responseTypes, 'response_types');
    if (types.some((t) => t !== 'code'))
      throw new ClientMetadataError('response_types', 'response_types may hold code only');
    if (types.length === 0)
      throw new ClientMetadataError(
        'response_types',
        'response_types must hold code, for authorization_code',
      );
  }
  return [...new Set(grants)] as GrantType[];
}

/** scope: scopes of the catalog, never Latchkey's own; the whole catalog when not given or empty. */
export function readScopes(value: unknown, catalog: Readonly<Record<string, string>>): string[] {
  if (value !== undefined && typeof value !== 'string')
    throw new ClientMetadataError('scope', 'scope must be a string of space-separated scopes');
  const offered = Object.keys(catalog).filter((scope) => !isReservedScope(scope));
  if (!value) return offered;
  const scopes = parseScope(value);
  const unknown = scopes.find((scope) => !offered.includes(scope));
  if (unknown !== undefined) {
    throw new ClientMetadataError(
      'scope',
      `scope "${shorten(unknown)}" is not offered here; the scopes are ${offered.join(', ')}`,
    );
  }
  return scopes;
}

/**
 * jwks or jwks_uri: for private_key_jwt (`usesKeys`) one of them, under the rules every client's
 * keys follow (./client-rules.ts); for any other method neither.
 */
export function readClientKeys(
  jwks: unknown,
  jwksUri: unknown,
  usesKeys: boolean,
  allowedHosts: readonly string[],
): Pick<Client, 'jwks' | 'jwksUri'> {
  if (!usesKeys) {
    if (jwks !== undefined || jwksUri !== undefined) {
      throw new ClientMetadataError(
        jwks !== undefined ? 'jwks' : 'jwks_uri',
        'jwks and jwks_uri are for token_endpoint_auth_method private_key_jwt only: name it, or remove the keys',
      );
    }
    return { jwks: null, jwksUri: null };
  }
  if (jwks === undefined && jwksUri === undefined)
    throw new ClientMetadataError(
      'jwks',
      'token_endpoint_auth_method private_key_jwt needs jwks or jwks_uri',
    );
  if (jwks !== undefined && (typeof jwks !== 'object' || jwks === null || Array.isArray(jwks)))
    throw new ClientMetadataError('jwks', 'jwks must be a JWK set: {"keys": [...]}');
  if (jwksUri !== undefined && typeof jwksUri !== 'string')
    throw new ClientMetadataError('jwks_uri', 'jwks_uri must be a URL');
  const given = {
    ...(jwks !== undefined && { jwks: jwks as { keys: Record<string, unknown>[] } }),
    ...(jwksUri !== undefined && { jwksUri: jwksUri as string }),
  };
  try {
    checkClientKeys(given, false, allowedHosts);
  } catch (error) {
    if (error instanceof CredentialsError)
      throw new ClientMetadataError(jwksUri === undefined ? 'jwks' : 'jwks_uri', error.message);
    throw error;
  }
  return { jwks: given.jwks ?? null, jwksUri: given.jwksUri ?? null };
}

/**
 * What the software says of itself beyond the registration, kept as it said it: client_uri,
 * logo_uri, tos_uri, policy_uri (https), contacts (email addresses), software_id, software_version.
 * `field` gives a field's value, undefined when not given. Null when it says none of them.
 */
export function readSoftwareMetadata(field: (name: string) => unknown): Record<string, unknown> | null {
  const kept: Record<string, unknown> = {};
  for (const name of linkFields) {
    const value = field(name);
    if (value === undefined) continue;
    if (
      typeof value !== 'string' ||
      value.length > maxRedirectUriLength ||
      hidden.test(value) ||
      !isHttpsLink(value)
    )
      throw new ClientMetadataError(
        name,
        `${name} must be an https URL of at most ${maxRedirectUriLength} characters`,
      );
    kept[name] = value;
  }
  const contacts = field('contacts');
  if (contacts !== undefined) {
    const addresses = readStrings(contacts, 'contacts');
    if (addresses.length > maxContacts)
      throw new ClientMetadataError('contacts', `contacts: at most ${maxContacts} email addresses`);
    if (addresses.some((c) => !isEmailAddress(c) || hidden.test(c)))
      throw new ClientMetadataError('contacts', 'contacts must be email addresses');
    kept.contacts = addresses;
  }
  for (const name of ['software_id', 'software_version']) {
    const value = readText(field(name), name, maxSoftwareTextLength);
    if (value !== undefined) kept[name] = value;
  }
  return Object.keys(kept).length > 0 ? kept : null;
}

/** A boolean field; false when not given. */
export function readFlag(value: unknown, field: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new ClientMetadataError(field, `${field} must be true or false`);
  return value;
}

/** A short human-readable string: trimmed, not empty, nothing hidden. */
function readText(value: unknown, field: string, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ClientMetadataError(field, `${field} must be a string`);
  const text = value.trim();
  if (text === '' || text.length > max)
    throw new ClientMetadataError(field, `${field} must be 1 to ${max} characters`);
  if (hidden.test(text))
    throw new ClientMetadataError(field, `${field} must not contain control characters or invisible ones`);
  return text;
}

function readStrings(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
    throw new ClientMetadataError(field, `${field} must be an array of strings`);
  return value as string[];
}

function isHttpsLink(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}
