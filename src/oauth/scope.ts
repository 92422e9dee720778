import { OAuthError } from './errors.ts';

/** RFC 6749 §3.3: a space-delimited list of scope-tokens. */
export function parseScope(scope: string | undefined): string[] {
  if (scope === undefined || scope === '') return [];
  const parts = scope.split(' ');
  // A caller may send thousands (the body allows 64 KB): a Set keeps that linear.
  if (parts.length > 16) return [...new Set(parts.filter((s) => s !== ''))];
  // Most requests name one scope, or a few: a loop, not a Set and two more arrays per token request.
  const scopes: string[] = [];
  for (const s of parts) if (s !== '' && !scopes.includes(s)) scopes.push(s);
  return scopes;
}

export const formatScope = (scopes: readonly string[]): string => scopes.join(' ');

/** OpenID Connect Core §3.1.2.1, §5.4: `openid` makes it an OpenID request; the others ask for claims. */
export const openIdScope = 'openid';
const identityScopes: readonly string[] = [openIdScope, 'profile', 'email'];
export const isIdentityScope = (scope: string): boolean => identityScopes.includes(scope);

/**
 * The scopes to grant: the ones asked for, each of which the client must be allowed; when none is
 * asked for, everything the client is allowed (RFC 6749 §3.3 lets the server pick a default) but
 * the identity scopes, which a client asks for by name (OpenID Connect Core §3.1.2.1).
 */
export function resolveScope(requested: string | undefined, allowed: readonly string[]): string[] {
  const asked = parseScope(requested);
  if (asked.length === 0) return allowed.filter((s) => !isIdentityScope(s));
  const refused = asked.filter((s) => !allowed.includes(s));
  if (refused.length > 0) {
    throw new OAuthError('invalid_scope', `This client may not request: ${refused.join(', ')}`);
  }
  return asked;
}

/**
 * Scopes that give a client powers at Latchkey itself rather than at the platform's API. They are
 * granted only from the CLI: never at consent, never by the console, never from the catalog.
 */
export const introspectScope = 'latchkey:introspect';
/** The admin API (`/admin/v1`): carried in client_credentials tokens, unlike latchkey:introspect. */
export const adminScope = 'latchkey:admin';
export const cliOnlyScopes: readonly string[] = [introspectScope, adminScope];
export const isReservedScope = (scope: string): boolean => scope.startsWith('latchkey:');

/**
 * Credentials holding a reserved scope reach Latchkey itself (the admin API reads and changes every
 * organization): only the operator manages them, with the CLI or the admin API, never the console of
 * the organization that happens to own them.
 */
export const operatorManaged = (client: { readonly scopes: readonly string[] }): boolean =>
  client.scopes.some(isReservedScope);

/**
 * client_credentials may also carry the admin scope, when the operator registered it from the CLI;
 * never an identity scope: no person stands behind such a token.
 */
export const clientCredentialsScopes = (
  registered: readonly string[],
  catalog: Readonly<Record<string, string>>,
): string[] => [
  ...clientScopes(registered, catalog).filter((s) => !isIdentityScope(s)),
  ...registered.filter((s) => s === adminScope),
];

/** The scopes a client may ask for now: its registered ones that the operator's catalog still lists. */
export const clientScopes = (
  registered: readonly string[],
  catalog: Readonly<Record<string, string>>,
): string[] => registered.filter((scope) => Object.hasOwn(catalog, scope) && !isReservedScope(scope));
