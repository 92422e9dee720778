// Latchkey as `npm start` runs it (SQLite store, ES256), with a client and a high rate limit for load.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.ts';
import { createCredentials } from '../../src/oauth/client-registration.ts';
import { startServer } from '../../src/server.ts';

const port = process.env.PORT ?? '0';
const config = loadConfig({
  PORT: port,
  HOST: '127.0.0.1',
  LATCHKEY_ISSUER: `http://127.0.0.1:${port}`,
  LATCHKEY_DATABASE:
    process.env.LATCHKEY_DATABASE ?? join(mkdtempSync(join(tmpdir(), 'latchkey-bench-')), 'bench.sqlite'),
  LATCHKEY_ENVIRONMENT: 'bench',
  LATCHKEY_LOG_LEVEL: 'warn',
  LATCHKEY_TOKEN_RATE_LIMIT: '100000000/minute',
});
const server = await startServer(config, { printBanner: () => {} });
const org = await server.services.store.accounts.createOrganization('Bench');
const { client, clientSecret } = await createCredentials(
  {
    orgId: org.id,
    name: 'bench',
    scopes: ['invoices:read'],
    grantTypes: ['client_credentials'],
    actor: 'bench',
  },
  server.services,
);
process.stdout.write(
  `READY ${JSON.stringify({ path: '/oauth/token', clientId: client.id, clientSecret })}\n`,
);
process.once('SIGTERM', () => server.close().then(() => process.exit(0)));
process.once('SIGINT', () => server.close().then(() => process.exit(0)));
