import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import { AccountError, addMember, createUser } from './accounts/users.ts';
import { presentOrganization, presentUser } from './admin/present.ts';
import { addBackupCommands } from './cli-backup.ts';
import { json, print } from './cli-output.ts';
import { addRegistrationTokenCommands } from './cli-registration-tokens.ts';
import { systemClock } from './clock.ts';
import { serve } from './cluster.ts';
import { ConfigError, loadConfig } from './config/index.ts';
import { createLogger } from './logger.ts';
import { blockClient } from './oauth/client-blocking.ts';
import {
  createCredentials,
  deleteCredentials,
  presentClient,
  rotateSecret,
  updateCredentials,
} from './oauth/client-registration.ts';
import { CredentialsError } from './oauth/client-rules.ts';
import { InitialAccessTokenError } from './oauth/initial-access-tokens.ts';
import { roles } from './oauth/model/accounts.ts';
import type { GrantType } from './oauth/model/clients.ts';
import type { Page, PageQuery } from './oauth/model/pages.ts';
import { closeServices, createServices, type Services } from './services.ts';
import { BackupError } from './store/backup.ts';
import { StoreUnavailableError } from './store/errors.ts';
import { openStore } from './store/index.ts';

const program = new Command('latchkey')
  .description('Latchkey: a self-hosted OAuth 2.0 authorization server with an API-credentials console')
  .showHelpAfterError();

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
const workerCount = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256)
    throw new InvalidArgumentError('a whole number from 1 to 256');
  return n;
};

/** Runs `fn` with services whose logs go to stderr, so stdout carries only the command's answer. */
async function withServices<T>(fn: (s: Services) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const s = await createServices(config, { log: createLogger('warn', pino.destination(2)) });
  try {
    return await fn(s);
  } finally {
    await closeServices(s);
  }
}

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

/** Every item of a paged list, page after page: the CLI lists everything. */
async function everyPage<T>(list: (page: PageQuery) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let after: PageQuery['after'];
  do {
    const page = await list({ limit: 500, after });
    items.push(...page.items);
    after = page.next;
  } while (after);
  return items;
}

program
  .command('serve')
  .description('serve HTTP (PORT, HOST, LATCHKEY_* from the environment)')
  .option('--workers <n>', 'processes sharing the port (node:cluster)', workerCount, 1)
  .action((o) => serve(loadConfig(), o.workers));

program
  .command('migrate')
  .description('apply database migrations and exit')
  .addOption(json())
  .action(async (o) => {
    const store = await openStore(loadConfig().database, systemClock, { migrate: false });
    try {
      const applied = await store.migrate();
      print(o.json, { applied }, applied.length ? `Applied: ${applied.join(', ')}` : 'Already up to date');
    } finally {
      await store.close();
    }
  });

const org = program.command('org').description('organizations');
org
  .command('create')
  .requiredOption('--name <name>', 'organization name')
  .addOption(json())
  .action((o) =>
    withServices(async (s) => {
      const created = await s.store.accounts.createOrganization(o.name);
      await s.store.audit.record({
        orgId: created.id,
        actor: 'cli',
        clientId: null,
        action: 'org.created',
        detail: { name: o.name },
      });
      print(
        o.json,
        { id: created.id, name: created.name },
        `Created organization ${created.name}: ${created.id}\nNext: latchkey user create --org ${created.id} --email … --password-stdin`,
      );
    }),
  );

org
  .command('list')
  .description('every organization')
  .addOption(json())
  .action((o) =>
    withServices(async (s) => {
      const organizations = (await everyPage((page) => s.store.accounts.listOrganizations(page))).map(
        presentOrganization,
      );
      print(
        o.json,
        { organizations },
        organizations
          .map((x) => `${x.id}  ${x.name}${x.external_id ? `  (external_id ${x.external_id})` : ''}`)
          .join('\n') || 'No organizations yet: latchkey org create --name …',
      );
    }),
  );

const roleOption = (): Option =>
  new Option('--role <role>', 'role in the organization').choices([...roles]).default('member');

const user = program.command('user').description('people who sign in');
user
  .command('create')
  .requiredOption('--email <email>')
  .option('--name <name>', 'the name apps learn with the profile scope (OpenID Connect)')
  .option('--password <password>', 'the password (prefer --password-stdin: arguments show up in ps)')
  .option('--password-stdin', 'read the password from standard input')
  .requiredOption('--org <orgId>', 'organization to join')
  .addOption(roleOption())
  .addOption(json())
  .action((o) =>
    withServices(async (s) => {
      const password: string | undefined = o.passwordStdin
        ? readFileSync(0, 'utf8').replace(/\r?\n$/, '')
        : o.password;
      if (!password) throw new AccountError('Give --password or --password-stdin');
      const user = await createUser(
        { email: o.email, name: o.name, password, orgId: o.org, role: o.role },
        s,
      );
      print(
        o.json,
        // The same fields as `user list` and the admin API (one name for a thing).
        presentUser(user),
        `Created user ${user.email}: ${user.id}`,
      );
    }),
  );

user
  .command('list')
  .description('every person, or the members of one organization with their roles')
  .option('--org <orgId>', 'only the members of this organization')
  .addOption(json())
  .action((o) =>
    withServices(async (s) => {
      let users: (ReturnType<typeof presentUser> & { role?: string })[];
      if (o.org) {
        if (!(await s.store.accounts.findOrganization(o.org)))
          throw new AccountError(`No organization with ID ${o.org}`);
        const members = await s.store.accounts.members(o.org);
        const byId = new Map(
          (await s.store.accounts.findUsers(members.map((m) => m.userId))).map((u) => [u.id, u]),
        );
        users = members.map((m) => ({ ...presentUser(byId.get(m.userId)!), role: m.role }));
      } else {
        users = (await everyPage((page) => s.store.accounts.listUsers(page))).map(presentUser);
      }
      print(
        o.json,
        { users },
        users.map((u) => `${u.id}  ${u.email}${u.role ? `  (${u.role})` : ''}`).join('\n') || 'No users yet',
      );
    }),
  );

program
  .command('member')
  .description('memberships')
  .command('add')
  .requiredOption('--org <orgId>')
  .requiredOption('--email <email>')
  .addOption(roleOption())
  .addOption(json())
  .action((o) =>
    withServices(async (s) => {
      const user = await addMember({ email: o.email, orgId: o.org, role: o.role }, s);
      print(
        o.json,
        { user_id: user.id, organization_id: o.org, role: o.role },
        `${user.email} is now ${o.role} of ${o.org}`,
      );
    }),
  );

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
  .option('--jwks <file>', 'authenticate with private_key_jwt: a JSON file of the public JWK set (no secret)')
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
  .description('refuse a client everywhere (invalid_client) and revoke every grant and token it holds; final')
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

program
  .command('keys')
  .description('signing keys')
  .command('rotate')
  .addOption(json())
  .action((o) =>
    withServices(async (s) => {
      const kid = await s.keys.rotate();
      print(
        o.json,
        { kid },
        `New signing key ${kid}; the previous key stays published until its tokens expire`,
      );
    }),
  );

addRegistrationTokenCommands(program, withServices);
addBackupCommands(program);

// Errors a person can act on: one line (a database it cannot reach names where and why).
const known = [
  ConfigError,
  AccountError,
  CredentialsError,
  InitialAccessTokenError,
  BackupError,
  StoreUnavailableError,
];
program.parseAsync().catch((error: Error) => {
  const expected = known.some((type) => error instanceof type);
  process.stderr.write(`latchkey: ${expected ? error.message : (error.stack ?? error.message)}\n`);
  process.exit(1);
});
