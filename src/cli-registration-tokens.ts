// `latchkey registration-token create|list|revoke`: initial access tokens for dynamic client
// registration (RFC 7591 §3) while LATCHKEY_DYNAMIC_REGISTRATION=token.
import { type Command, InvalidArgumentError } from 'commander';
import { json, print, type WithServices } from './cli-output.ts';
import {
  createInitialAccessToken,
  defaultInitialAccessTokenTtl,
  maxInitialAccessTokenTtl,
  presentInitialAccessToken,
  revokeInitialAccessToken,
} from './oauth/initial-access-tokens.ts';

const seconds = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > maxInitialAccessTokenTtl)
    throw new InvalidArgumentError(`whole seconds from 1 to ${maxInitialAccessTokenTtl} (a year)`);
  return n;
};

/** The curl line that registers a public client with `token`: what the person does next. */
const curlLine = (issuer: string, token: string): string =>
  `curl -s ${issuer}/oauth/register -H 'authorization: Bearer ${token}' -H 'content-type: application/json' \\\n` +
  `    -d '{"client_name": "My tool", "redirect_uris": ["http://127.0.0.1:8765/callback"], "token_endpoint_auth_method": "none"}'`;

export function addRegistrationTokenCommands(program: Command, withServices: WithServices): void {
  const tokens = program
    .command('registration-token')
    .description('initial access tokens for POST /oauth/register (LATCHKEY_DYNAMIC_REGISTRATION=token)');

  tokens
    .command('create')
    .description('make a token (shown once) that registers clients until it expires or is revoked')
    .option('--expires-in <seconds>', 'how long it works, in seconds', seconds, defaultInitialAccessTokenTtl)
    .addOption(json())
    .action((o) =>
      withServices(async (s) => {
        const { token, record } = await createInitialAccessToken(o.expiresIn, 'cli', s);
        const expiresAt = new Date(record.expiresAt!).toISOString();
        const mode = s.config.dynamicRegistration;
        print(
          o.json,
          {
            id: record.id,
            initial_access_token: token,
            expires_at: expiresAt,
            registration_endpoint: `${s.config.issuer}/oauth/register`,
          },
          `initial_access_token  ${token}\n\nStore it now: it is not shown again. It registers clients until ${expiresAt}` +
            ` (latchkey registration-token revoke ${record.id} ends it sooner).\n` +
            (mode === 'token'
              ? ''
              : `Note: LATCHKEY_DYNAMIC_REGISTRATION is ${mode} here; servers take these tokens only when it is token.\n`) +
            `\nRegister a client with it:\n\n  ${curlLine(s.config.issuer, token)}`,
        );
      }),
    );

  tokens
    .command('list')
    .description('every token, newest first (never the token itself)')
    .addOption(json())
    .action((o) =>
      withServices(async (s) => {
        const now = s.clock();
        const list = (await s.store.initialAccessTokens.list()).map((t) => presentInitialAccessToken(t, now));
        print(
          o.json,
          { initial_access_tokens: list },
          list
            .map(
              (t) =>
                `${t.id}  ${t.active ? 'active' : t.revoked_at ? 'revoked' : 'expired'}  expires ${t.expires_at}`,
            )
            .join('\n') || 'No initial access tokens yet: latchkey registration-token create',
        );
      }),
    );

  tokens
    .command('revoke <id>')
    .description('stop a token registering clients (the clients it registered stay)')
    .addOption(json())
    .action((id, o) =>
      withServices(async (s) => {
        await revokeInitialAccessToken(id, s);
        print(o.json, { revoked: id }, `Revoked ${id}: it registers no more clients`);
      }),
    );
}
