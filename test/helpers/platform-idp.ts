import type { Server } from 'node:http';
import { freePort, type Latchkey, startLatchkey } from './latchkey.ts';

/**
 * node-oidc-provider as the platform's identity provider, on a loopback port with its development
 * sign-in pages (any login name signs in as the account of that name; "[ Cancel ]" denies).
 * `accounts` holds each account's claims and may change between sign-ins.
 */
export interface PlatformIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  accounts: Map<string, Record<string, unknown>>;
  close(): Promise<void>;
}

interface ProviderInstance {
  listen(port: number, callback: () => void): Server;
}
type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;

export async function startPlatformIdp(options: {
  /** Latchkey's issuer: the client's redirect URI is `{issuer}/login/oidc/callback`. */
  latchkeyIssuer: string;
  port?: number;
}): Promise<PlatformIdp> {
  // oidc-provider ships no type declarations: load it by a name TypeScript does not resolve.
  const moduleName = 'oidc-provider';
  const { default: Provider } = (await import(moduleName)) as { default: ProviderClass };
  const port = options.port ?? (await freePort());
  // "localhost", not 127.0.0.1: another site than Latchkey's, so the SameSite=Lax cookies are tested.
  const issuer = `http://localhost:${port}`;
  const clientId = 'latchkey';
  const clientSecret = 'platform-idp-secret-for-latchkey-0123456789';
  const accounts = new Map<string, Record<string, unknown>>();
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [`${options.latchkeyIssuer}/login/oidc/callback`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    findAccount: (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: () => ({ sub: id, ...accounts.get(id) }),
    }),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'orgs'] },
    cookies: { keys: ['platform-idp-cookie-key'] },
  });
  const server = await new Promise<Server>((resolve) => {
    const s = provider.listen(port, () => resolve(s));
  });
  return {
    issuer,
    clientId,
    clientSecret,
    accounts,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Latchkey with sign-in through a fresh platform provider (and its organizations claim `orgs`), as
 * the end-to-end tests of platform sign-in start them; `options.env` adds to Latchkey's variables.
 */
export async function startLatchkeyWithPlatformIdp(
  options: Parameters<typeof startLatchkey>[0] = {},
): Promise<{ lk: Latchkey; idp: PlatformIdp }> {
  const port = await freePort();
  const lk = await startLatchkey({
    ...options,
    env: {
      LATCHKEY_LOGIN_OIDC_ISSUER: `http://localhost:${port}`,
      LATCHKEY_LOGIN_OIDC_CLIENT_ID: 'latchkey',
      LATCHKEY_LOGIN_OIDC_CLIENT_SECRET: 'platform-idp-secret-for-latchkey-0123456789',
      LATCHKEY_LOGIN_OIDC_ORGS_CLAIM: 'orgs',
      ...options.env,
    },
  });
  const idp = await startPlatformIdp({ latchkeyIssuer: lk.issuer, port });
  return { lk, idp };
}
