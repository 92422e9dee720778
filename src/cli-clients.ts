// `latchkey client create|list|block|show|update|delete|rotate-secret`: API credentials.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { json, print, type WithServices } from './cli-output.ts';
import { blockClient } from './oauth/client-blocking.ts';
import {
  createCredentials,
  deleteCredentials,
  presentClient,
  rotateSecret,
  updateCredentials,
} from './oauth/client-registration.ts';
import { CredentialsError } from './oauth/client-rules.ts';
import type { GrantType } from './oauth/model/clients.ts';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function readJwksFile(file: string): { keys: Record<string, unknown>[] } {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CredentialsError(`--jwks ${file}: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** One line of `client list`: id, name, owner (or how software with none registered), a block. */
function describeClient(c: ReturnType<typeof presentClient>): string {
  const owner = c.organization_id === null ? `no organization, ${c.origin}` : `org ${c.organization_id}`;
  return `${c.client_id}  ${c.name}  (${owner})${c.blocked_at ? `  BLOCKED since ${c.blocked_at}` : ''}`;
}

export function addClientCommands(program: Command, withServices: WithServices): void {
  const client = program.command('client').description('API credentials');
  client
    .command('create')
    .requiredOption('--org <orgId>', 'organization that owns the credentials')
    .requiredOption('--name <name>', 'name it after the software you connect')
    .option('--redirect-uri <uri>', 'exact redirect URL (repeatable)', collect)
    .option(
      '--post-logout-redirect-uri <uri>',
      'exact URL a sign-out at /oauth/logout may return to (repeatable)',
      collect,
    )
    .option('--grant <type>', 'authorization_code, refresh_token, client_credentials (repeatable)', collect)
    .option(
      '--scope <scope>',
      "a scope it may request (repeatable; default: the whole catalog); latchkey:introspect lets it introspect any client's tokens, latchkey:admin lets it call the admin API",
      collect,
    )
    .option('--public', 'a public client (no secret, PKCE required)')
    .option('--no-pkce', 'legacy confidential client that may skip PKCE')
    .option(
      '--jwks <file>',
      'authenticate with private_key_jwt: a JSON file of the public JWK set (no secret)',
    )
    .option('--jwks-uri <url>', 'authenticate with private_key_jwt: where the public JWK set is published')
    .option('--require-par', 'authorization requests only through PAR (RFC 9126)')
    .option('--require-dpop', 'access tokens only with a DPoP proof (RFC 9449)')
    .addOption(json())
    .action((o) =>
      withServices(async (s) => {
        const jwks = o.jwks === undefined ? undefined : readJwksFile(o.jwks);
        const { client: c, clientSecret } = await createCredentials(
          {
            orgId: o.org,
            name: o.name,
            redirectUris: o.redirectUri,
            postLogoutRedirectUris: o.postLogoutRedirectUri,
            grantTypes: o.grant as GrantType[] | undefined,
            scopes: o.scope,
            isPublic: Boolean(o.public),
            pkceOptional: o.pkce === false,
            jwks,
            jwksUri: o.jwksUri,
            requirePar: Boolean(o.requirePar),
            requireDpop: Boolean(o.requireDpop),
            allowCliOnlyScopes: true,
            actor: 'cli',
          },
          s,
        );
        const answer = clientSecret ? { client_id: c.id, client_secret: clientSecret } : { client_id: c.id };
        print(
          o.json,
          answer,
          `client_id      ${c.id}\n${clientSecret ? `client_secret  ${clientSecret}\n\nStore the secret now: it is not shown again.\n` : ''}` +
            `Try: curl -s -u '${c.id}:<client_secret>' -d grant_type=client_credentials ${s.config.issuer}/oauth/token`,
        );
      }),
    );

  client
    .command('list')
    .option('--org <orgId>', 'only this organization')
    .addOption(json())
    .action((o) =>
      withServices(async (s) => {
        const clients = (await s.store.clients.list(o.org)).map(presentClient);
        print(o.json, { clients }, clients.map(describeClient).join('\n') || 'No credentials yet');
      }),
    );

  client
    .command('block <clientId>')
    .description(
      'refuse a client everywhere (invalid_client) and revoke every grant and token it holds; final',
    )
    .addOption(json())
    .action((clientId, o) =>
      withServices(async (s) => {
        const { client: c, changed, grantsRevoked } = await blockClient(clientId, 'cli', s);
        print(
          o.json,
          { ...presentClient(c), changed, grants_revoked: grantsRevoked },
          changed
            ? `Blocked ${c.name} (${c.id}); ${grantsRevoked} grant${grantsRevoked === 1 ? '' : 's'} revoked`
            : `${c.name} (${c.id}) was already blocked (since ${presentClient(c).blocked_at})`,
        );
      }),
    );

  client
    .command('show <clientId>')
    .addOption(json())
    .action((clientId, o) =>
      withServices(async (s) => {
        const c = await s.store.clients.find(clientId);
        if (!c) throw new CredentialsError(`No credentials with client ID ${clientId}`);
        const secrets = (await s.store.clients.secrets(c.id)).map((x) => ({
          hint: `…${x.hint}`,
          created_at: new Date(x.createdAt).toISOString(),
          expires_at: x.expiresAt && new Date(x.expiresAt).toISOString(),
          last_used_at: x.lastUsedAt && new Date(x.lastUsedAt).toISOString(),
        }));
        const value = { ...presentClient(c), secrets };
        print(o.json, value, JSON.stringify(value, null, 2));
      }),
    );

  client
    .command('update <clientId>')
    .description('change the name or the registered URLs (each list given replaces the registered one)')
    .option('--name <name>', 'a new name')
    .option('--redirect-uri <uri>', 'exact redirect URL (repeatable)', collect)
    .option('--post-logout-redirect-uri <uri>', 'exact URL a sign-out may return to (repeatable)', collect)
    .option('--clear-post-logout-redirect-uris', 'register none')
    .addOption(json())
    .action((clientId, o) =>
      withServices(async (s) => {
        if (o.clearPostLogoutRedirectUris && o.postLogoutRedirectUri) {
          throw new CredentialsError(
            'Give --post-logout-redirect-uri or --clear-post-logout-redirect-uris, not both',
          );
        }
        const c = await updateCredentials(
          clientId,
          {
            name: o.name,
            redirectUris: o.redirectUri,
            postLogoutRedirectUris: o.clearPostLogoutRedirectUris ? [] : o.postLogoutRedirectUri,
          },
          'cli',
          s,
        );
        print(o.json, presentClient(c), `Updated ${c.name} (${c.id})`);
      }),
    );

  client
    .command('delete <clientId>')
    .addOption(json())
    .action((clientId, o) =>
      withServices(async (s) => {
        const c = await deleteCredentials(clientId, 'cli', s);
        print(o.json, { deleted: c.id }, `Deleted ${c.name} (${c.id}); its tokens no longer work`);
      }),
    );

  client
    .command('rotate-secret <clientId>')
    .option('--overlap <seconds>', 'how long the old secret keeps working', '0')
    .addOption(json())
    .action((clientId, o) =>
      withServices(async (s) => {
        const overlap = Number(o.overlap);
        if (!Number.isInteger(overlap) || overlap < 0)
          throw new CredentialsError('--overlap takes whole seconds, 0 or more');
        const secret = await rotateSecret(clientId, overlap, 'cli', s);
        print(
          o.json,
          { client_id: clientId, client_secret: secret },
          `client_secret  ${secret}\n\nStore it now: it is not shown again.`,
        );
      }),
    );
}
