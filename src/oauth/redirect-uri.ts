/**
 * Registration rules for redirect URIs (RFC 9700 §2.1, §4.1.1; RFC 8252 §7.3): absolute, `https`, or
 * `http` only for loopback hosts; no fragment (RFC 6749 §3.1.2); no wildcards. At the authorization
 * endpoint they are compared as exact strings.
 */
const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Returns what is wrong with `uri` as a registered redirect URI, in words a person can act on. */
export function redirectUriProblem(uri: string): string | undefined {
  if (uri.trim() !== uri || uri === '') return 'Remove the spaces around the URL';
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

const rawPattern = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/;

function splitUri(uri: string): RawUri | undefined {
  const m = rawPattern.exec(uri);
  if (!m) return undefined;
  let authority = m[2]!;
  let userinfo: string | undefined;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    userinfo = authority.slice(0, at);
    authority = authority.slice(at + 1);
  }
  const portMatch = /^(.*?)(?::(\d*))?$/.exec(authority)!;
  const host = authority.startsWith('[') ? authority.slice(0, authority.indexOf(']') + 1) : portMatch[1]!;
  const port = authority.startsWith('[') ? /\]:(\d*)$/.exec(authority)?.[1] : portMatch[2];
  return { scheme: m[1]!, userinfo, host, port, path: m[3]!, query: m[4], fragment: m[5] };
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
    if (a.path.replace(/\/$/, '') === b.path.replace(/\/$/, '')) {
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
 * developer can fix a mismatch without guessing (the request itself is never redirected).
 */
export function closestRedirectUri(
  requested: string,
  registered: readonly string[],
): ClosestRedirectUri | undefined {
  let best: ClosestRedirectUri | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const uri of registered) {
    const differences = redirectUriDifferences(requested, uri);
    const score = differences.reduce((sum, d) => sum + weight[d.part], 0);
    if (score < bestScore) {
      best = { registered: uri, differences };
      bestScore = score;
    }
  }
  return best;
}
