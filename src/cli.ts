import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import { AccountError, addMember, createUser } from './accounts/users.ts';
import { presentOrganization, presentUser } from './admin/present.ts';
import { addBackupCommands } from './cli-backup.ts';
import { addClientCommands } from './cli-clients.ts';
import { everyPage, json, print } from './cli-output.ts';
import { addRegistrationTokenCommands } from './cli-registration-tokens.ts';
import { systemClock } from './clock.ts';
import { serve } from './cluster.ts';
import { ConfigError, loadConfig } from './config/index.ts';
import { createLogger } from './logger.ts';
import { CredentialsError } from './oauth/client-rules.ts';
import { InitialAccessTokenError } from './oauth/initial-access-tokens.ts';
import { roles } from './oauth/model/accounts.ts';
import { closeServices, createServices, type Services } from './services.ts';
import { BackupError } from './store/backup.ts';
import { StoreUnavailableError } from './store/errors.ts';
import { openStore } from './store/index.ts';

const program = new Command('latchkey')
  .description('Latchkey: a self-hosted OAuth 2.0 authorization server with an API-credentials console')
  .showHelpAfterError();

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

addClientCommands(program, withServices);
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
