/**
 * An integrator's server-to-server script: client_credentials, then API calls with the token cached,
 * renewed and retried by the SDK.
 *
 *   LATCHKEY_CLIENT_ID=… LATCHKEY_CLIENT_SECRET=… node --import tsx examples/integrator.ts
 *
 * See examples/README.md for installing @latchkey/client in your own project; in this checkout the
 * name resolves to the workspace's source (packages/client/src), so the example runs without a build.
 */
import { authenticatedFetch, clientCredentials, LatchkeyError, resolveIssuer } from '@latchkey/client';

const clientId = process.env.LATCHKEY_CLIENT_ID;
const clientSecret = process.env.LATCHKEY_CLIENT_SECRET;
if (!clientId || !clientSecret) {
  console.error(
    'Set LATCHKEY_CLIENT_ID and LATCHKEY_CLIENT_SECRET (npm start prints a demo pair on first start).',
  );
  process.exit(2);
}

// Pick the environment by name; the URLs are yours (Latchkey is self-hosted). A URL works as well:
// ENVIRONMENT=http://localhost:3999.
const issuer = resolveIssuer({
  environment: process.env.ENVIRONMENT ?? 'development',
  environments: {
    development: 'http://localhost:3000',
    stage: 'https://auth.stage.example.com',
    production: 'https://auth.example.com',
  },
});

const tokens = clientCredentials({
  issuer,
  clientId,
  clientSecret,
  scope: process.env.LATCHKEY_SCOPE, // omitted: every scope the credential was granted
});

const latchkey = authenticatedFetch(tokens, { baseUrl: issuer });

try {
  // Three calls, one token request: the token is cached until shortly before it expires.
  for (let call = 1; call <= 3; call++) {
    const me = await (await latchkey('/api/v1/me')).json();
    console.log(`GET /api/v1/me #${call}:`, me);
  }

  // The example API (examples/api-server.ts), if it runs: same token source, another base URL.
  const apiUrl = process.env.API_URL;
  if (apiUrl) {
    const api = authenticatedFetch(tokens, { baseUrl: apiUrl });
    console.log('GET /invoices:', await (await api('/invoices')).json());
    const created = await api('/invoices', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 1200, currency: 'EUR' }),
    });
    console.log('POST /invoices:', created.status, await created.json());
  }
} catch (error) {
  if (error instanceof LatchkeyError) {
    // The RFC 6749 / 6750 code says what to do: invalid_client → check the credentials,
    // insufficient_scope → ask the organization admin for the scope, rate_limited → try later.
    console.error(
      `Latchkey refused: ${error.code} (HTTP ${error.status ?? '-'}): ${error.description ?? ''}`,
    );
    process.exit(1);
  }
  throw error;
}
