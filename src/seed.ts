import { randomBytes } from 'node:crypto';
import { createUser } from './accounts/users.ts';
import { createCredentials } from './oauth/client-registration.ts';
import type { Services } from './services.ts';

export interface Seeded {
  orgId: string;
  email: string;
  password: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

/**
 * In `development` on the embedded SQLite store, an empty store gets a demo organization, admin and
 * client so a newcomer can try it. Never on PostgreSQL: that is a shared deployment, whose first
 * organization and admin an operator makes with the CLI (docs/deploy.md), and whose instances
 * starting together would each seed.
 */
export async function seedIfEmpty(s: Services): Promise<Seeded | undefined> {
  if (s.config.environment !== 'development' || s.store.dialect !== 'sqlite') return undefined;
  if ((await s.store.accounts.countOrganizations()) > 0) return undefined;
  const org = await s.store.accounts.createOrganization('Demo Organization');
  const email = 'admin@example.com';
  const password = randomBytes(12).toString('base64url');
  await createUser({ email, password, orgId: org.id, role: 'admin' }, s);
  const redirectUri = 'http://localhost:8080/callback';
  const { client, clientSecret } = await createCredentials(
    { orgId: org.id, name: 'Demo integration', redirectUris: [redirectUri], actor: 'system' },
    s,
  );
  return { orgId: org.id, email, password, clientId: client.id, clientSecret: clientSecret!, redirectUri };
}

export function seedBanner(seed: Seeded, issuer: string): string {
  return `
Latchkey seeded a demo (development environment). These are shown once; the secret is stored only as a hash.

  Console sign-in   ${issuer}/login
    email           ${seed.email}
    password        ${seed.password}
  Demo client
    client_id       ${seed.clientId}
    client_secret   ${seed.clientSecret}
    redirect URL    ${seed.redirectUri}

Get a token and call the demo API:

  curl -s -u '${seed.clientId}:${seed.clientSecret}' -d grant_type=client_credentials ${issuer}/oauth/token
  curl -s -H "Authorization: Bearer <access_token>" ${issuer}/api/v1/me
`;
}
