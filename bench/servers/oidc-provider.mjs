// Peer: node-oidc-provider with client_credentials issuing ES256 JWT access tokens (like Latchkey).
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT ?? 0);
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'ES256', use: 'sig' };

const provider = new Provider(issuer, {
  jwks: { keys: [jwk] },
  clients: [
    {
      client_id: 'bench-client',
      client_secret: 'bench-secret-that-is-long-enough-for-the-benchmark-0123456789',
      grant_types: ['client_credentials'],
      id_token_signed_response_alg: 'ES256',
      redirect_uris: [],
      response_types: [],
    },
  ],
  scopes: ['invoices:read'],
  features: {
    clientCredentials: { enabled: true },
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'https://api.example.com',
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'invoices:read',
        audience: 'https://api.example.com',
        accessTokenFormat: 'jwt',
        accessTokenTTL: 3600,
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
});
provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(
    `READY ${JSON.stringify({ path: '/token', clientId: 'bench-client', clientSecret: 'bench-secret-that-is-long-enough-for-the-benchmark-0123456789' })}\n`,
  );
});
