// Peer: node-oidc-provider 9, in memory, ES256 JWT access tokens for the API resource (like Latchkey).
// Started by bench/run.ts with an IPC channel: the harness asks it to mint codes, refresh tokens and
// access tokens through the provider's own models before each measured window.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';
import { MapAdapter } from './map-adapter.mjs';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const api = 'https://api.example.com';
const scope = 'invoices:read';
const secret = 'bench-secret-that-is-long-enough-for-the-benchmark-0123456789';
const redirectUri = 'http://127.0.0.1/callback';
// RFC 7636 appendix B: the verifier every minted code is bound to.
const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'ES256', use: 'sig' };
const client = (id, method) => ({
  client_id: id,
  client_secret: secret,
  token_endpoint_auth_method: method,
  grant_types: ['client_credentials', 'authorization_code', 'refresh_token'],
  redirect_uris: [redirectUri],
  response_types: ['code'],
  id_token_signed_response_alg: 'ES256',
});

const provider = new Provider(issuer, {
  // The bundled MemoryAdapter is an LRU of 1,000 entries: a load run would evict its own codes.
  adapter: MapAdapter,
  jwks: { keys: [jwk] },
  clients: [client('bench-basic', 'client_secret_basic'), client('bench-post', 'client_secret_post')],
  scopes: ['openid', scope],
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  // Latchkey issues a refresh token with every code exchange and rotates it on every use (RFC 9700
  // §4.14.2); the peer is configured to do the same work.
  issueRefreshToken: (_ctx, c) => c.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: () => true,
  ttl: { AuthorizationCode: 600, AccessToken: 3600, ClientCredentials: 3600, RefreshToken: 86_400 },
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    userinfo: { enabled: true },
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => api,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope,
        audience: api,
        accessTokenFormat: 'jwt',
        accessTokenTTL: 3600,
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
});

const account = 'bench-user';
const basic = await provider.Client.find('bench-basic');

async function newGrant(oidcScope) {
  const grant = new provider.Grant({ accountId: account, clientId: basic.clientId });
  grant.addResourceScope(api, scope);
  if (oidcScope) grant.addOIDCScope(oidcScope);
  return grant.save();
}

/** What the harness asks for: `n` fresh artifacts of one kind, all for the Basic client. */
const mint = {
  async code(n) {
    const out = [];
    for (let i = 0; i < n; i++) {
      const code = new provider.AuthorizationCode({
        accountId: account,
        client: basic,
        grantId: await newGrant(),
        redirectUri,
        scope,
        resource: api,
        codeChallenge: challenge,
        codeChallengeMethod: 'S256',
      });
      out.push(await code.save());
    }
    return out;
  },
  async refresh(n) {
    const grantId = await newGrant();
    const out = [];
    for (let i = 0; i < n; i++) {
      const rt = new provider.RefreshToken({
        accountId: account,
        client: basic,
        grantId,
        scope,
        resource: api,
        rotations: 0,
        gty: 'authorization_code',
      });
      out.push(await rt.save());
    }
    return out;
  },
  // Opaque tokens: the peer's userinfo refuses tokens with an audience, and its introspection
  // answers only for tokens it stores (its JWT access tokens are not introspectable).
  async access(n) {
    const grantId = await newGrant('openid');
    const out = [];
    for (let i = 0; i < n; i++) {
      const at = new provider.AccessToken({
        accountId: account,
        client: basic,
        grantId,
        scope: 'openid',
        gty: 'authorization_code',
      });
      out.push(await at.save());
    }
    return out;
  },
};

process.on('message', async ({ id, kind, n }) => {
  try {
    process.send({ id, values: await mint[kind](n) });
  } catch (error) {
    process.send({ id, error: String(error?.stack ?? error) });
  }
});
process.on('disconnect', () => process.exit(0));

provider.listen(port, '127.0.0.1', () => {
  const ready = { clientId: 'bench-basic', postClientId: 'bench-post', clientSecret: secret };
  process.stdout.write(`READY ${JSON.stringify({ ...ready, redirectUri, verifier })}\n`);
});
