import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closestRedirectUri, redirectUriDifferences } from '../../src/oauth/redirect-uri.ts';
import { type Latchkey, startLatchkey, type TestClient } from '../helpers/latchkey.ts';
import { pkcePair } from '../helpers/oauth-flow.ts';

const registered = 'https://app.example.com/oauth/callback';

describe('redirect URI comparison (RFC 6749 §3.1.2.3, RFC 9700 §4.1.3): exact, never redirected on mismatch', () => {
  let lk: Latchkey;
  let client: TestClient;
  beforeAll(async () => {
    lk = await startLatchkey();
    client = await lk.createClient({
      redirectUris: [registered, 'https://app.example.com/other?tenant=1', 'http://127.0.0.1:8080/cb'],
    });
  });
  afterAll(() => lk.close());

  const variants: [string, string, RegExp][] = [
    ['trailing slash', 'https://app.example.com/oauth/callback/', /trailing slash/],
    ['http vs https', 'http://app.example.com/oauth/callback', /scheme/],
    ['subdomain', 'https://evil.app.example.com/oauth/callback', /subdomain/],
    ['other host', 'https://app.example.org/oauth/callback', /host/],
    ['extra path', 'https://app.example.com/oauth/callback/extra', /path/],
    ['added query', 'https://app.example.com/oauth/callback?next=/admin', /query/],
    ['fragment', 'https://app.example.com/oauth/callback#frag', /fragment/],
    ['user@host trick', 'https://app.example.com@evil.example/oauth/callback', /user info/],
    ['upper-case host', 'https://APP.example.com/oauth/callback', /upper\/lower case/],
    ['explicit default port', 'https://app.example.com:443/oauth/callback', /default port :443/],
    ['other port', 'http://127.0.0.1:8081/cb', /port/],
    ['percent-encoding', 'https://app.example.com/oauth/%63allback', /path|exact characters/],
  ];

  for (const [name, uri, why] of variants) {
    it(`${name}: error page, no Location, says what differs`, async () => {
      const { challenge } = pkcePair();
      const query = new URLSearchParams({
        response_type: 'code',
        client_id: client.clientId,
        redirect_uri: uri,
        state: 'xyz',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      const response = await fetch(`${lk.issuer}/oauth/authorize?${query}`, { redirect: 'manual' });
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(response.headers.get('content-type')).toContain('text/html');
      const html = await response.text();
      expect(html).toContain('This redirect URL is not registered');
      expect(html).toContain('Closest registered redirect URL');
      expect(html.replace(/&#x2F;|&#47;/g, '/')).toMatch(why);
    });
  }

  it('unknown client: error page, never redirected', async () => {
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: 'lkc_nope',
      redirect_uri: registered,
    });
    const response = await fetch(`${lk.issuer}/oauth/authorize?${query}`, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('Unknown app');
  });

  it('missing client_id and repeated redirect_uri: error page', async () => {
    const a = await fetch(`${lk.issuer}/oauth/authorize?response_type=code`, { redirect: 'manual' });
    expect(a.status).toBe(400);
    expect(a.headers.get('location')).toBeNull();
    const b = await fetch(
      `${lk.issuer}/oauth/authorize?response_type=code&client_id=${client.clientId}&redirect_uri=${encodeURIComponent(registered)}&redirect_uri=${encodeURIComponent(registered)}`,
      { redirect: 'manual' },
    );
    expect(b.status).toBe(400);
    expect(b.headers.get('location')).toBeNull();
  });

  it('several registered URIs: redirect_uri may not be omitted', async () => {
    const response = await fetch(
      `${lk.issuer}/oauth/authorize?response_type=code&client_id=${client.clientId}`,
      {
        redirect: 'manual',
      },
    );
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('several redirect URLs');
  });

  it('picks the closest registered URI and names each difference', () => {
    const uris = [registered, 'http://localhost:3000/callback'];
    expect(closestRedirectUri('http://localhost:3000/callback/', uris)).toEqual({
      registered: 'http://localhost:3000/callback',
      differences: [{ part: 'trailing slash', detail: expect.stringContaining('ends with a slash') }],
    });
    expect(closestRedirectUri('https://staging.app.example.com/oauth/callback', uris)?.registered).toBe(
      registered,
    );
    expect(
      redirectUriDifferences('http://app.example.com:8443/oauth/cb?x=1', registered).map((d) => d.part),
    ).toEqual(['scheme', 'port', 'path', 'query']);
    expect(redirectUriDifferences('not a url', registered)[0]!.part).toBe('format');
    expect(redirectUriDifferences(registered, registered)).toEqual([]);
  });
});
