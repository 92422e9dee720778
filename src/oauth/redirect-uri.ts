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
