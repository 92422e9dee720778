import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey, type TestClient } from '../helpers/latchkey.ts';

// A real, strict OAuth client (oauth4webapi) against a listening Latchkey: discovery,
// client_credentials with Basic and with post, RFC 9068 validation, introspection, revocation.
let lk: Latchkey;
let as: oauth.AuthorizationServer;
let registered: TestClient;
let client: oauth.Client;
const insecure = { [oauth.allowInsecureRequests]: true };

beforeAll(async () => {
  lk = await startLatchkey();
  registered = await lk.createClient({ scopes: ['invoices:read', 'payments:read'] });
  client = { client_id: registered.clientId };
  const issuer = new URL(lk.issuer);
  as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
  );
});
afterAll(() => lk.close());

async function clientCredentials(
  auth: oauth.ClientAuth,
  scope?: string,
): Promise<oauth.TokenEndpointResponse> {
  const response = await oauth.clientCredentialsGrantRequest(
    as,
    client,
    auth,
    scope ? { scope } : {},
    insecure,
  );
  return oauth.processClientCredentialsResponse(as, client, response);
}

describe('oauth4webapi against Latchkey', () => {
  it('discovers the RFC 8414 metadata', () => {
    expect(as).toMatchObject({
      issuer: lk.issuer,
      token_endpoint: `${lk.issuer}/oauth/token`,
      jwks_uri: `${lk.issuer}/.well-known/jwks.json`,
      grant_types_supported: expect.arrayContaining(['client_credentials']),
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      scopes_supported: expect.arrayContaining(['invoices:read']),
    });
  });

  it('gets a token with client_secret_basic and validates it as an RFC 9068 JWT', async () => {
    const tokens = await clientCredentials(oauth.ClientSecretBasic(registered.clientSecret), 'invoices:read');
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.scope).toBe('invoices:read');
    const request = new Request(`${lk.issuer}/api/v1/me`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    const claims = await oauth.validateJwtAccessToken(as, request, lk.issuer, insecure);
    expect(claims).toMatchObject({
      client_id: registered.clientId,
      sub: registered.clientId,
      org_id: registered.orgId,
      scope: 'invoices:read',
    });
  });

  it('gets a token with client_secret_post', async () => {
    const tokens = await clientCredentials(oauth.ClientSecretPost(registered.clientSecret));
    expect(tokens.scope).toBe('invoices:read payments:read');
    expect(tokens.expires_in).toBe(3600);
  });

  it('introspects and revokes', async () => {
    const auth = oauth.ClientSecretBasic(registered.clientSecret);
    const { access_token } = await clientCredentials(auth);
    const active = await oauth.processIntrospectionResponse(
      as,
      client,
      await oauth.introspectionRequest(as, client, auth, access_token, insecure),
    );
    expect(active).toMatchObject({ active: true, client_id: registered.clientId });

    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, auth, access_token, insecure),
    );
    const inactive = await oauth.processIntrospectionResponse(
      as,
      client,
      await oauth.introspectionRequest(as, client, auth, access_token, insecure),
    );
    expect(inactive.active).toBe(false);
  });

  it('surfaces invalid_client after Basic as a 401 Basic challenge', async () => {
    const wrong = oauth.ClientSecretBasic((await lk.createClient()).clientSecret);
    const error = await clientCredentials(wrong).catch((e) => e);
    expect(error).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    expect(error.status).toBe(401);
    expect(error.cause[0].scheme).toBe('basic');
  });

  it('surfaces invalid_client after post as a ResponseBodyError', async () => {
    const wrong = oauth.ClientSecretPost((await lk.createClient()).clientSecret);
    const error = await clientCredentials(wrong).catch((e) => e);
    expect(error).toBeInstanceOf(oauth.ResponseBodyError);
    expect(error.error).toBe('invalid_client');
  });
});
