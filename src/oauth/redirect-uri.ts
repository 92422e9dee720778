/**
 * Registration rules for redirect URIs (RFC 9700 §2.1, §4.1.1; RFC 8252 §7.3): absolute, `https`, or
 * `http` only for loopback hosts; no fragment (RFC 6749 §3.1.2); no wildcards. At the authorization
 * endpoint they are compared as exact strings.
 */
const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Bounds on what a client registers, so that the closest-URI diagnostics (below) stay small work for
 * any request: the admin API's schema names the same numbers.
 */
export const maxRedirectUriLength = 2000;
export const maxRedirectUris = 20;

/** What is wrong with the number of redirect URIs a client registers, or undefined. */
export function redirectUriCountProblem(count: number): string | undefined {
  return count > maxRedirectUris
    ? `Register at most ${maxRedirectUris} redirect URLs (${count} were given): remove the ones no longer used`
    : undefined;
}

/** Returns what is wrong with `uri` as a registered redirect URI, in words a person can act on. */
export function redirectUriProblem(uri: string): string | undefined {
  if (uri.trim() !== uri || uri === '') return 'Remove the spaces around the URL';
  if (uri.length > maxRedirectUriLength) {
    return `Shorten the URL to ${maxRedirectUriLength} characters (it has ${uri.length})`;
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'Enter an absolute URL, such as https://app.example.com/oauth/callback';
  }
  if (uri.includes('*')) return 'Wildcards are not allowed: register each redirect URL exactly';
  if (uri.includes('#')) return 'Remove the fragment (#…): redirect URLs cannot have one';
  if (url.username || url.password) return 'Remove the user name or password from the URL';
  if (url.protocol === 'http:') {
    if (!loopbackHosts.has(url.hostname)) {
      return 'Use https; http is allowed only for localhost, 127.0.0.1 and [::1]';
    }
  } else if (url.protocol !== 'https:') {
    return 'Use an https URL (or http for localhost)';
  }
  return undefined;
}

/** All problems of a list, including duplicates; empty when the list is fine. */
export function redirectUriProblems(uris: readonly string[]): { uri: string; problem: string }[] {
  const problems: { uri: string; problem: string }[] = [];
  const seen = new Set<string>();
  for (const uri of uris) {
    const problem = seen.has(uri) ? 'This URL is listed twice' : redirectUriProblem(uri);
    if (problem) problems.push({ uri, problem });
    seen.add(uri);
  }
  return problems;
}

/** A URI split into its raw parts, before any normalization (RFC 3986 §3). */
interface RawUri {
  scheme: string;
  userinfo: string | undefined;
  host: string;
  port: string | undefined;
  path: string;
  query: string | undefined;
  fragment: string | undefined;
}

const isDigits = (s: string): boolean => [...s].every((c) => c >= '0' && c <= '9');
const isSchemeChar = (c: string, first: boolean): boolean =>
  (c >= 'A' && c <= 'Z') ||
  (c >= 'a' && c <= 'z') ||
  (!first && ((c >= '0' && c <= '9') || c === '+' || c === '.' || c === '-'));

/**
 * Splits `scheme://authority path ?query #fragment` by the first delimiter of each part (RFC 3986
 * §3), with indexOf rather than a pattern: the requested URI is the caller's, and a pattern with
 * adjacent open-ended parts backtracks quadratically on a crafted one, blocking the event loop
 * (issue 28).
 */
function splitUri(uri: string): RawUri | undefined {
  const separator = uri.indexOf('://');
  const scheme = uri.slice(0, Math.max(separator, 0));
  if (scheme === '' || ![...scheme].every((c, i) => isSchemeChar(c, i === 0))) return undefined;
  let rest = uri.slice(separator + 3);
  const cut = (delimiter: string): string | undefined => {
    const at = rest.indexOf(delimiter);
    if (at < 0) return undefined;
    const after = rest.slice(at + 1);
    rest = rest.slice(0, at);
    return after;
  };
  const fragment = cut('#');
  const query = cut('?');
  const slash = rest.indexOf('/');
  let authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash);
  let userinfo: string | undefined;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    userinfo = authority.slice(0, at);
    authority = authority.slice(at + 1);
  }
  // The port follows the last colon, after the closing bracket of an IPv6 literal (§3.2.2, §3.2.3).
  const colon = authority.lastIndexOf(':');
  const hasPort = colon >= 0 && colon > authority.indexOf(']') && isDigits(authority.slice(colon + 1));
  const host = hasPort ? authority.slice(0, colon) : authority;
  const port = hasPort ? authority.slice(colon + 1) : undefined;
  return { scheme, userinfo, host, port, path, query, fragment };
}

const defaultPorts: Record<string, string> = { http: '80', https: '443' };

export interface RedirectUriDifference {
  /** Which part differs. */
  part:
    | 'scheme'
    | 'host'
    | 'subdomain'
    | 'port'
    | 'path'
    | 'trailing slash'
    | 'query'
    | 'fragment'
    | 'user info'
    | 'format';
  /** What differs, in words a developer can act on. */
  detail: string;
}

export interface ClosestRedirectUri {
  registered: string;
  differences: RedirectUriDifference[];
}

const isSubdomain = (a: string, b: string): boolean => a.endsWith(`.${b}`) || b.endsWith(`.${a}`);

/** The differences between a requested redirect URI and a registered one, part by part. */
export function redirectUriDifferences(requested: string, registered: string): RedirectUriDifference[] {
  const a = splitUri(requested);
  const b = splitUri(registered);
  if (!a || !b) {
    return [
      {
        part: 'format',
        detail: 'The requested redirect_uri is not an absolute URL such as https://app.example.com/callback',
      },
    ];
  }
  const out: RedirectUriDifference[] = [];
  if (a.scheme !== b.scheme) {
    out.push({
      part: 'scheme',
      detail: `The request uses ${a.scheme}://, the registered URL uses ${b.scheme}://`,
    });
  }
  if (a.userinfo !== undefined) {
    out.push({
      part: 'user info',
      detail: `The request has "${a.userinfo}@" before the host, so its real host is ${a.host}. Remove the user info.`,
    });
  }
  if (a.host !== b.host) {
    if (a.host.toLowerCase() === b.host.toLowerCase()) {
      out.push({
        part: 'host',
        detail: `The host differs in upper/lower case: ${a.host} vs ${b.host}. Use it exactly as registered.`,
      });
    } else if (isSubdomain(a.host.toLowerCase(), b.host.toLowerCase())) {
      out.push({ part: 'subdomain', detail: `The subdomain differs: ${a.host} vs ${b.host}` });
    } else {
      out.push({ part: 'host', detail: `The host differs: ${a.host} vs ${b.host}` });
    }
  }
  if (a.port !== b.port) {
    const def = defaultPorts[a.scheme.toLowerCase()];
    if (a.port === def && b.port === undefined) {
      out.push({
        part: 'port',
        detail: `The request names the default port :${a.port} explicitly; the registered URL has no port`,
      });
    } else if (b.port === def && a.port === undefined) {
      out.push({
        part: 'port',
        detail: `The registered URL names the port :${b.port} explicitly; the request has no port`,
      });
    } else {
      out.push({
        part: 'port',
        detail: `The port differs: ${a.port ? `:${a.port}` : 'none'} vs ${b.port ? `:${b.port}` : 'none'}`,
      });
    }
  }
  if (a.path !== b.path) {
    const withoutSlash = (path: string) => (path.endsWith('/') ? path.slice(0, -1) : path);
    if (withoutSlash(a.path) === withoutSlash(b.path)) {
      out.push({
        part: 'trailing slash',
        detail: a.path.endsWith('/')
          ? `The request ends with a slash (${a.path}); the registered path does not (${b.path || '/'})`
          : `The registered path ends with a slash (${b.path}); the request does not (${a.path || '(empty)'})`,
      });
    } else {
      out.push({
        part: 'path',
        detail: `The path differs: ${a.path || '(empty)'} vs ${b.path || '(empty)'}`,
      });
    }
  }
  if (a.query !== b.query) {
    out.push({
      part: 'query',
      detail:
        b.query === undefined
          ? `The request adds a query (?${a.query}); the registered URL has none`
          : a.query === undefined
            ? `The registered URL has a query (?${b.query}); the request has none`
            : `The query differs: ?${a.query} vs ?${b.query}`,
    });
  }
  if (a.fragment !== undefined) {
    out.push({
      part: 'fragment',
      detail: 'The request has a fragment (#…); redirect URLs cannot have one (RFC 6749 §3.1.2)',
    });
  }
  // Same parts but different strings (e.g. percent-encoding): still not an exact match.
  if (out.length === 0 && requested !== registered) {
    out.push({ part: 'format', detail: 'The URLs differ in their exact characters (e.g. percent-encoding)' });
  }
  return out;
}

const weight: Record<RedirectUriDifference['part'], number> = {
  scheme: 1,
  'user info': 3,
  host: 4,
  subdomain: 2,
  port: 1,
  path: 2,
  'trailing slash': 1,
  query: 1,
  fragment: 1,
  format: 5,
};

/**
 * The registered URI closest to a requested one, with what differs: shown on the error page so a
 * developer can fix a mismatch without guessing (the request itself is never redirected). A URI
 * longer than any that can be registered gets no diagnostics: it cannot be close to one, and the
 * work stays bounded whatever an anonymous caller sends.
 */
export function closestRedirectUri(
  requested: string,
  registered: readonly string[],
): ClosestRedirectUri | undefined {
  if (requested.length > maxRedirectUriLength) return undefined;
  let best: ClosestRedirectUri | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const uri of registered) {
    // Registered before the bounds existed (the CLI had none): too long to be the closest.
    if (uri.length > maxRedirectUriLength) continue;
    const differences = redirectUriDifferences(requested, uri);
    const score = differences.reduce((sum, d) => sum + weight[d.part], 0);
    if (score < bestScore) {
      best = { registered: uri, differences };
      bestScore = score;
    }
  }
  return best;
}
