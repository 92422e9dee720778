/**
 * A Client ID Metadata Document (draft-ietf-oauth-client-id-metadata-document-00): software with no
 * registration here uses the https URL of a JSON document about itself as its `client_id`. This file
 * says which client_ids are such URLs (§3), what the document must say to be a client here (§4.1:
 * its own URL as `client_id`, no shared secret; RFC 7591 §2 for the rest), and how long a fetched
 * document is kept (§4 caching, RFC 9111 §4.2.1). The fetching is ./metadata-document-clients.ts.
 */
import { CredentialsError, checkClientKeys } from './client-registration.ts';
import type { DocumentClient, GrantType } from './model/clients.ts';
import { maxRedirectUriLength, redirectUriCountProblem, redirectUriProblems } from './redirect-uri.ts';
import { isReservedScope, parseScope } from './scope.ts';

/** A document is kept at least this long, so a client cannot make us fetch it on every request. */
export const minDocumentLifetimeMs = 5 * 60_000;
/** And at most a day, so a changed document (a removed redirect URL) takes effect within one. */
export const maxDocumentLifetimeMs = 24 * 3_600_000;

/** Whether `clientId` is written as a URL: judged as a metadata document's URL, not a registered id. */
export const isUrlClientId = (clientId: string): boolean => /^https?:\/\//i.test(clientId);

/**
 * What is wrong with `clientId` as a metadata document's URL (§3), or undefined. The URL is compared
 * as an exact string with the document's `client_id` and is what the person is shown, so it must be
 * written in its normal form (lower-case host, no default port, no needless escapes): the one string
 * the fetch goes to.
 */
export function clientIdUrlProblem(clientId: string): string | undefined {
  if (clientId.length > maxRedirectUriLength) return `is longer than ${maxRedirectUriLength} characters`;
  if (!/^https:\/\//i.test(clientId)) return 'must use https';
  if (clientId.includes('#')) return 'must not have a fragment (#…)';
  const afterScheme = clientId.slice('https://'.length);
  const pathAt = afterScheme.search(/[/?]/);
  const authority = pathAt < 0 ? afterScheme : afterScheme.slice(0, pathAt);
  if (authority.includes('@')) return 'must not carry a user name or password';
  const rest = pathAt < 0 ? '' : afterScheme.slice(pathAt);
  const query = rest.indexOf('?');
  const path = query < 0 ? rest : rest.slice(0, query);
  if (path === '' || path === '/') {
    return 'must name the document with a path, such as https://app.example.com/oauth/client.json';
  }
  // "." and ".." segments, written out or percent-encoded (WHATWG URL treats %2e as a dot).
  const dots = path.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment));
  if (dots) return 'must not contain "." or ".." path segments';
  let normal: string;
  try {
    normal = new URL(clientId).href;
  } catch {
    return 'is not a valid URL';
  }
  if (normal !== clientId) return `must be written in its normal form: ${normal}`;
  return undefined;
}

/** The rules a document's metadata is checked against: the operator's scope catalog and key hosts. */
export interface DocumentRules {
  /** The scope catalog (config.scopes): a document may ask for these only, never `latchkey:*`. */
  scopes: Readonly<Record<string, string>>;
  /** Hosts a `jwks_uri` may name although not public (LATCHKEY_JWKS_URI_ALLOWED_HOSTS). */
  jwksUriAllowedHosts: readonly string[];
}

/** Why a document is not a client here, in words its developer can act on. */
export class DocumentError extends Error {
  override name = 'DocumentError';
}

const documentGrants: readonly GrantType[] = ['authorization_code', 'refresh_token'];
/** What the software says of itself beyond the registration (RFC 7591 §2), kept as it said it. */
const urlFields = ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri'] as const;
const textFields = ['software_id', 'software_version'] as const;

/**
 * The client that the document fetched from `url` describes, or a DocumentError naming the first
 * problem. `document` is the parsed JSON, anything at all.
 */
export function readMetadataDocument(url: string, document: unknown, rules: DocumentRules): DocumentClient {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new DocumentError('The document must be a JSON object');
  }
  const doc = document as Record<string, unknown>;
  // §4.1: simple string comparison with the URL it was fetched from.
  if (doc.client_id !== url) {
    // What it says instead is not shown: until client_id matches, the answer is not this client's.
    throw new DocumentError(
      typeof doc.client_id === 'string'
        ? `The document's client_id must be exactly its own URL, ${url}, and it is not`
        : `The document must have a client_id: its own URL, ${url}`,
    );
  }
  // §4.1: no secret can be agreed on with a document.
  if (doc.client_secret !== undefined || doc.client_secret_expires_at !== undefined) {
    throw new DocumentError('A metadata document must not carry client_secret or client_secret_expires_at');
  }

  const redirectUris = stringArray(doc.redirect_uris, 'redirect_uris');
  if (redirectUris.length === 0) {
    throw new DocumentError('redirect_uris must list at least one redirect URL');
  }
  const tooMany = redirectUriCountProblem(redirectUris.length);
  if (tooMany) throw new DocumentError(`redirect_uris: ${tooMany}`);
  const uriProblem = redirectUriProblems(redirectUris)[0];
  if (uriProblem) throw new DocumentError(`redirect_uris: ${shorten(uriProblem.uri)}: ${uriProblem.problem}`);

  const isPublic = readAuthMethod(doc.token_endpoint_auth_method) === 'none';
  const keys = readKeys(doc, isPublic, rules);
  return {
    id: url,
    name: readName(doc.client_name, url),
    redirectUris,
    grantTypes: readGrants(doc),
    scopes: readScopes(doc.scope, rules.scopes),
    isPublic,
    ...keys,
    requirePar: optionalBoolean(
      doc.require_pushed_authorization_requests,
      'require_pushed_authorization_requests',
    ),
    requireDpop: optionalBoolean(doc.dpop_bound_access_tokens, 'dpop_bound_access_tokens'),
    softwareMetadata: readSoftwareMetadata(doc),
  };
}

/** RFC 7591 §2 token_endpoint_auth_method: `none` when absent, since no secret can exist (§4.1). */
function readAuthMethod(value: unknown): 'none' | 'private_key_jwt' {
  if (value === undefined || value === 'none') return 'none';
  if (value === 'private_key_jwt') return value;
  if (typeof value === 'string' && value.startsWith('client_secret_')) {
    throw new DocumentError(
      `token_endpoint_auth_method ${value} needs a shared secret, which a metadata document cannot have: use none (with PKCE) or private_key_jwt`,
    );
  }
  throw new DocumentError('token_endpoint_auth_method must be none or private_key_jwt');
}

/** private_key_jwt needs `jwks` or `jwks_uri` (RFC 7523), under the rules every client's keys follow. */
function readKeys(
  doc: Record<string, unknown>,
  isPublic: boolean,
  rules: DocumentRules,
): Pick<DocumentClient, 'jwks' | 'jwksUri'> {
  const { jwks, jwks_uri: jwksUri } = doc;
  if (isPublic) {
    if (jwks !== undefined || jwksUri !== undefined) {
      throw new DocumentError(
        'jwks and jwks_uri are for token_endpoint_auth_method private_key_jwt: name it, or remove the keys',
      );
    }
    return { jwks: null, jwksUri: null };
  }
  if (jwks === undefined && jwksUri === undefined) {
    throw new DocumentError('token_endpoint_auth_method private_key_jwt needs jwks or jwks_uri');
  }
  if (jwks !== undefined && (typeof jwks !== 'object' || jwks === null || Array.isArray(jwks))) {
    throw new DocumentError('jwks must be a JWK set: {"keys": [...]}');
  }
  if (jwksUri !== undefined && typeof jwksUri !== 'string') throw new DocumentError('jwks_uri must be a URL');
  const given = {
    ...(jwks !== undefined && { jwks: jwks as { keys: Record<string, unknown>[] } }),
    ...(jwksUri !== undefined && { jwksUri }),
  };
  try {
    checkClientKeys(given, false, rules.jwksUriAllowedHosts);
  } catch (error) {
    if (error instanceof CredentialsError) throw new DocumentError(error.message);
    throw error;
  }
  return { jwks: given.jwks ?? null, jwksUri: given.jwksUri ?? null };
}

/** The name the consent page shows; the URL's host when the document gives none. */
function readName(value: unknown, url: string): string {
  if (value === undefined) return new URL(url).host;
  if (typeof value !== 'string') throw new DocumentError('client_name must be a string');
  const name = value.trim();
  if (name === '' || name.length > 100) throw new DocumentError('client_name must be 1 to 100 characters');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name)) {
    throw new DocumentError('client_name must not contain control characters or line breaks');
  }
  return name;
}

/** RFC 7591 §2: authorization_code when absent; with refresh_token at most. response_types: code. */
function readGrants(doc: Record<string, unknown>): GrantType[] {
  const grants =
    doc.grant_types === undefined ? ['authorization_code'] : stringArray(doc.grant_types, 'grant_types');
  const other = grants.find((g) => !documentGrants.includes(g as GrantType));
  if (other !== undefined) {
    throw new DocumentError(
      `grant_types may hold authorization_code and refresh_token only (not ${shorten(other)}): software that registers itself acts for a person`,
    );
  }
  if (!grants.includes('authorization_code'))
    throw new DocumentError('grant_types must include authorization_code');
  if (doc.response_types !== undefined) {
    const types = stringArray(doc.response_types, 'response_types');
    if (types.some((t) => t !== 'code')) throw new DocumentError('response_types may hold code only');
  }
  return [...new Set(grants)] as GrantType[];
}

/** RFC 7591 §2 scope: scopes of the catalog, never Latchkey's own; the whole catalog when absent. */
function readScopes(value: unknown, catalog: DocumentRules['scopes']): string[] {
  if (value === undefined) return Object.keys(catalog).filter((scope) => !isReservedScope(scope));
  if (typeof value !== 'string') throw new DocumentError('scope must be a string of space-separated scopes');
  const scopes = parseScope(value);
  const unknown = scopes.find((scope) => isReservedScope(scope) || !Object.hasOwn(catalog, scope));
  if (unknown !== undefined) {
    throw new DocumentError(
      `scope "${shorten(unknown)}" is not offered here; the scopes are ${Object.keys(catalog)
        .filter((scope) => !isReservedScope(scope))
        .join(', ')}`,
    );
  }
  return scopes;
}

/** client_uri, logo_uri, tos_uri, policy_uri (https URLs), contacts, software_id, software_version. */
function readSoftwareMetadata(doc: Record<string, unknown>): Record<string, unknown> | null {
  const kept: Record<string, unknown> = {};
  for (const field of urlFields) {
    const value = doc[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length > maxRedirectUriLength || !isHttpsUrl(value)) {
      throw new DocumentError(`${field} must be an https URL`);
    }
    kept[field] = value;
  }
  for (const field of textFields) {
    const value = doc[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length > 200) {
      throw new DocumentError(`${field} must be a string of at most 200 characters`);
    }
    kept[field] = value;
  }
  if (doc.contacts !== undefined) {
    const contacts = stringArray(doc.contacts, 'contacts');
    if (contacts.length > 20 || contacts.some((c) => c.length > 320)) {
      throw new DocumentError('contacts must list at most 20 addresses of at most 320 characters');
    }
    kept.contacts = contacts;
  }
  return Object.keys(kept).length > 0 ? kept : null;
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}

function stringArray(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw new DocumentError(`${field} must be an array of strings`);
  }
  return value as string[];
}

function optionalBoolean(value: unknown, field: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new DocumentError(`${field} must be true or false`);
  return value;
}

/** A value from the document, quoted in a message: recognizable, never the whole of a long one. */
const shorten = (value: string): string => (value.length > 100 ? `${value.slice(0, 100)}…` : value);

/**
 * When a document fetched at `now` is to be fetched again: its freshness lifetime by its cache
 * headers (RFC 9111 §4.2.1: Cache-Control max-age, else Expires minus Date; no-store and no-cache
 * ask for the shortest), kept within [5 min, 24 h].
 */
export function documentExpiresAt(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  now: number,
): number {
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  let lifetimeMs = 0;
  const directives = (header('cache-control') ?? '').split(',').map((d) => d.trim().toLowerCase());
  const maxAge = directives.find((d) => d.startsWith('max-age='));
  if (directives.includes('no-store') || directives.includes('no-cache')) lifetimeMs = 0;
  else if (maxAge !== undefined && /^max-age="?\d{1,10}"?$/.test(maxAge)) {
    lifetimeMs = Number(maxAge.slice('max-age='.length).replaceAll('"', '')) * 1000;
  } else {
    // §5.3: an Expires that cannot be read means already expired.
    const expires = Date.parse(header('expires') ?? '');
    const date = Date.parse(header('date') ?? '');
    if (!Number.isNaN(expires)) lifetimeMs = expires - (Number.isNaN(date) ? now : date);
  }
  return now + Math.min(maxDocumentLifetimeMs, Math.max(minDocumentLifetimeMs, lifetimeMs));
}
