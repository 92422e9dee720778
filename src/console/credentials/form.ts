import type { GrantType } from '../../oauth/model/clients.ts';
import { redirectUriCountProblem, redirectUriProblem } from '../../oauth/redirect-uri.ts';

/**
 * The console's forms: parsing urlencoded bodies into typed values, and validation with messages
 * that say how to fix each problem. The same rules run in the browser: the build bundles this
 * module into the console's script (../browser/console.ts), so it must not import Node-only code;
 * the server always checks again.
 */

/** What a person chooses; authorization code brings refresh tokens with it (RFC 6749 §1.5, §6). */
export type GrantChoice = 'authorization_code' | 'client_credentials';
export const grantChoices: readonly GrantChoice[] = ['authorization_code', 'client_credentials'];

export const grantLabels: Record<GrantChoice, { title: string; help: string }> = {
  authorization_code: {
    title: 'Authorization code',
    help: 'A person signs in and approves access in the browser; the software gets tokens for that person and a refresh token to stay connected.',
  },
  client_credentials: {
    title: 'Client credentials',
    help: 'Server to server, no person involved: the software acts for the organization that owns these credentials.',
  },
};

export const toGrantTypes = (choices: readonly GrantChoice[]): GrantType[] =>
  choices.flatMap((c): GrantType[] =>
    c === 'authorization_code' ? ['authorization_code', 'refresh_token'] : [c],
  );

export const toGrantChoices = (grantTypes: readonly GrantType[]): GrantChoice[] =>
  grantChoices.filter((c) => grantTypes.includes(c));

/** How long the old secret keeps working after a rotation. */
export const overlapChoices = [
  { value: 'immediately', label: 'Stops immediately', seconds: 0 },
  { value: '1h', label: 'Keeps working for 1 hour', seconds: 3600 },
  { value: '24h', label: 'Keeps working for 24 hours', seconds: 86_400 },
  { value: '7d', label: 'Keeps working for 7 days', seconds: 7 * 86_400 },
] as const;

export type Body = Record<string, string | string[] | undefined>;

export const field = (body: Body, name: string): string => {
  const value = body[name];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
};

export const fields = (body: Body, name: string): string[] => {
  const value = body[name];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
};

/** How new credentials authenticate: a secret, or signed assertions (private_key_jwt, RFC 7523). */
export interface AuthValues {
  kind: 'secret' | 'keys';
  /** A pasted JWK set (JSON text), or */
  jwks: string;
  /** the URL the software publishes its keys at. */
  jwksUri: string;
}

export interface CredentialsFormValues {
  name: string;
  /** Only on the generate form. */
  auth?: AuthValues;
  /** One entry per row, empty rows included, so a form re-renders as the person left it. */
  redirectUris: string[];
  grants: GrantChoice[];
  /**
   * Where a sign-out may return to (RP-Initiated Logout 1.0), one URL per line as typed; undefined
   * when the form had no such field (nothing to change then).
   */
  postLogoutRedirectUris?: string;
}

export interface CredentialsFormErrors {
  name?: string;
  grants?: string;
  /** Problem of each row (same index as `redirectUris`), undefined where the row is fine. */
  redirectUris: (string | undefined)[];
  /** A problem of the list as a whole, e.g. none given. */
  redirectList?: string;
  /** A problem with the public keys (generate form). */
  keys?: string;
  /** The first problem among the post-logout redirect URLs. */
  postLogoutRedirectUris?: string;
}

export const hasErrors = (e: CredentialsFormErrors): boolean =>
  Boolean(
    e.name ||
      e.grants ||
      e.redirectList ||
      e.keys ||
      e.postLogoutRedirectUris ||
      e.redirectUris.some(Boolean),
  );

/**
 * One registered redirect URL's problem, in words a person can act on (DESIGN.md; RFC 9700 §2.1,
 * RFC 8252 §7.3, RFC 6749 §3.1.2), or undefined. `earlier` are the rows above it, for duplicates.
 */
export function redirectUrlProblem(uri: string, earlier: readonly string[] = []): string | undefined {
  const problem = redirectUriProblem(uri);
  if (problem) return problem;
  // Exact matching makes a duplicate useless; it is most likely a copy-paste slip.
  if (earlier.includes(uri)) return 'This URL is already listed above: remove this row';
  return undefined;
}

export function parseCredentialsForm(body: Body): CredentialsFormValues {
  return {
    name: field(body, 'name').trim(),
    redirectUris: fields(body, 'redirect_uri'),
    grants: grantChoices.filter((c) => fields(body, 'grant').includes(c)),
    ...(body.post_logout_redirect_uris !== undefined && {
      postLogoutRedirectUris: field(body, 'post_logout_redirect_uris'),
    }),
    ...(body.auth !== undefined && {
      auth: {
        kind: field(body, 'auth') === 'keys' ? 'keys' : 'secret',
        jwks: field(body, 'jwks').trim(),
        jwksUri: field(body, 'jwks_uri').trim(),
      },
    }),
  };
}

/** The keys' shape as far as a form can tell; the registration rules check the rest. */
export function keysProblem(auth: AuthValues | undefined): string | undefined {
  if (auth?.kind !== 'keys') return undefined;
  if (auth.jwks === '' && auth.jwksUri === '')
    return 'Paste the public keys as a JWK set, or enter the URL where the software publishes them';
  if (auth.jwks !== '' && auth.jwksUri !== '')
    return 'Give either the JWK set or its URL, not both: remove one of them';
  if (auth.jwks === '') return undefined;
  try {
    const parsed = JSON.parse(auth.jwks) as unknown;
    if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as { keys?: unknown }).keys))
      return 'The JWK set must look like {"keys": [ … ]}';
  } catch {
    return 'The JWK set is not valid JSON: paste it exactly as the software gives it';
  }
  return undefined;
}

/** Validates a create or edit form; rows left empty are ignored. */
export function validateCredentialsForm(v: CredentialsFormValues): CredentialsFormErrors {
  const errors: CredentialsFormErrors = { redirectUris: [] };
  if (v.name === '') {
    errors.name = 'Enter a name, e.g. the software you connect: "Microsoft Business Central"';
  } else if (v.name.length > 100) {
    errors.name = `Shorten the name to 100 characters (it has ${v.name.length})`;
  }
  if (v.grants.length === 0) errors.grants = 'Choose at least one way the software gets tokens';
  const seen: string[] = [];
  v.redirectUris.forEach((uri, i) => {
    if (uri.trim() === '') return;
    errors.redirectUris[i] = redirectUrlProblem(uri, seen);
    seen.push(uri);
  });
  errors.keys = keysProblem(v.auth);
  if (v.grants.includes('authorization_code') && seen.length === 0) {
    errors.redirectList =
      'Add at least one redirect URL: after sign-in and consent, the browser returns to it with the authorization code';
  }
  errors.redirectList ??= redirectUriCountProblem(seen.length);
  errors.postLogoutRedirectUris = postLogoutProblem(lines(v.postLogoutRedirectUris ?? ''));
  return errors;
}

/** The URLs of a one-per-line field: trimmed, blank lines dropped. */
export const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');

/** The redirect URLs' rules for the post-logout list: the first problem, naming its line. */
function postLogoutProblem(uris: readonly string[]): string | undefined {
  for (const [i, uri] of uris.entries()) {
    const problem = redirectUrlProblem(uri, uris.slice(0, i));
    if (problem) return `Sign-out return URL ${i + 1}: ${problem}`;
  }
  const tooMany = redirectUriCountProblem(uris.length);
  return tooMany && `Sign-out return URLs: ${tooMany}`;
}

/** The non-empty rows, in order: what is stored. */
export const filledRows = (uris: readonly string[]): string[] => uris.filter((u) => u.trim() !== '');
