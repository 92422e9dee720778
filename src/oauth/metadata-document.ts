/**
 * A Client ID Metadata Document (draft-ietf-oauth-client-id-metadata-document-00): software with no
 * registration here uses the https URL of a JSON document about itself as its `client_id`. This file
 * says which client_ids are such URLs (§3), what the document must say to be a client here (§4.1:
 * its own URL as `client_id`, no shared secret; RFC 7591 §2 for the rest), and how long a fetched
 * document is kept (§4 caching, RFC 9111 §4.2.1). The fetching is ./metadata-document-clients.ts.
 */
import {
  ClientMetadataError,
  readClientKeys,
  readClientName,
  readFlag,
  readGrantTypes,
  readRedirectUris,
  readScopes,
  readSoftwareMetadata,
  shorten,
} from './client-metadata.ts';
import type { DocumentClient } from './model/clients.ts';
import { maxRedirectUriLength } from './redirect-uri.ts';

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

/**
 * The client that the document fetched from `url` describes, or a DocumentError naming the first
 * problem. `document` is the parsed JSON, anything at all. Every field but client_id is read as at
 * dynamic registration (./client-metadata.ts); what a document may not say is a shared secret.
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
  const field = (name: string): unknown => (Object.hasOwn(doc, name) ? doc[name] : undefined);
  try {
    const redirectUris = readRedirectUris(field('redirect_uris'), 'redirect_uris');
    if (redirectUris.length === 0)
      throw new DocumentError('redirect_uris must list at least one redirect URL');
    const isPublic = readAuthMethod(doc.token_endpoint_auth_method) === 'none';
    return {
      id: url,
      // The name the consent page shows; the URL's host when the document gives none.
      name: readClientName(field('client_name')) ?? new URL(url).host,
      redirectUris,
      grantTypes: readGrantTypes(field('grant_types'), field('response_types')),
      scopes: readScopes(field('scope'), rules.scopes),
      isPublic,
      ...readClientKeys(field('jwks'), field('jwks_uri'), !isPublic, rules.jwksUriAllowedHosts),
      requirePar: readFlag(
        field('require_pushed_authorization_requests'),
        'require_pushed_authorization_requests',
      ),
      requireDpop: readFlag(field('dpop_bound_access_tokens'), 'dpop_bound_access_tokens'),
      softwareMetadata: readSoftwareMetadata(field),
    };
  } catch (error) {
    if (error instanceof ClientMetadataError) throw new DocumentError(error.message);
    throw error;
  }
}

/** RFC 7591 §2 token_endpoint_auth_method: `none` when absent, since no secret can exist (§4.1). */
function readAuthMethod(value: unknown): 'none' | 'private_key_jwt' {
  if (value === undefined || value === 'none') return 'none';
  if (value === 'private_key_jwt') return value;
  if (typeof value === 'string' && value.startsWith('client_secret_')) {
    throw new DocumentError(
      `token_endpoint_auth_method ${shorten(value)} needs a shared secret, which a metadata document cannot have: use none (with PKCE) or private_key_jwt`,
    );
  }
  throw new DocumentError('token_endpoint_auth_method must be none or private_key_jwt');
}

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
