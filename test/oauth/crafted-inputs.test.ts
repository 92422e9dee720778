import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInHttp } from '../helpers/console-session.ts';
import { assertBuilt, bin, root } from '../helpers/dist.ts';
import { type Latchkey, requestToken, startLatchkey } from '../helpers/latchkey.ts';
import { pkcePair } from '../helpers/oauth-flow.ts';
import { decode } from '../helpers/web.ts';

// Issue 28 item 2: the "closest registered URI" diagnostics parsed the caller's redirect_uri with a
// pattern that backtracked quadratically, blocking the event loop for seconds on one 14 KB value,
// and once more per registered URI; the email checks did the same.
const run = promisify(execFile);
/** `scheme://`, 14 KB of authority and a fragment the old pattern could not match. */
const crafted = `a://${'x'.repeat(14_000)}#\n`;
const uris = (n: number) => Array.from({ length: n }, (_, i) => `https://app${i}.example.com/callback`);

let lk: Latchkey;
beforeAll(async () => {
  lk = await startLatchkey();
});
afterAll(() => lk.close());

describe('redirect URIs and email addresses from callers', () => {
  it('checks that caller input reaches answer at once on the inputs that made the old patterns backtrack', async () => {
    // A deadline, not a measurement: on this 1 MB input the old patterns needed over 20 minutes
    // (1 s at 14 KB, growing with the square); the child answers in a few seconds.
    const child = await run(process.execPath, ['--import', 'tsx', 'test/oauth/crafted-inputs.child.ts'], {
      cwd: root,
      timeout: 60_000,
    });
    expect(JSON.parse(child.stdout)).toEqual({
      differences: ['scheme', 'host', 'path', 'fragment'],
      reversed: ['scheme', 'host', 'path'],
      query: 5,
      closest: null,
      invite: 'Enter an email address',
      createUser: ' is not an email address',
      provisionUser: ' is not an email address',
    });
  }, 90_000);

  it('a 14 KB redirect_uri gets the error page without diagnostics, at /oauth/authorize and at PAR', async () => {
    const client = await lk.createClient({ redirectUris: uris(20) });
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: crafted,
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
    });
    const page = await fetch(`${lk.issuer}/oauth/authorize?${query}`, { redirect: 'manual' });
    expect(page.status).toBe(400);
    expect(page.headers.get('location')).toBeNull();
    const html = decode(await page.text());
    expect(html).toContain('This redirect URL is not registered');
    expect(html).toContain('It is 14006 characters long; a registered redirect URL has at most 2000.');
    expect(html).not.toContain('Closest registered redirect URL');
    expect(html).not.toContain(crafted.slice(0, 3000));

    const publicClient = await lk.createClient({ public: true, redirectUris: uris(20) });
    const par = await fetch(`${lk.issuer}/oauth/par`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...Object.fromEntries(query), client_id: publicClient.clientId }),
    });
    expect(par.status).toBe(400);
    expect(await par.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('a client registers at most 20 redirect URLs of at most 2000 characters: the console, the CLI and the admin API say so', async () => {
    const tooLong = `https://app.example.com/${'x'.repeat(2000)}`;

    // The console.
    const person = await lk.createUser({ role: 'admin' });
    const session = await signInHttp(lk, person.email, person.password);
    const form = (redirect_uri: string[]) => ({
      _csrf: session.csrf,
      _action: 'create',
      name: 'Too many',
      redirect_uri,
      grant: 'authorization_code',
    });
    const before = (await lk.services.store.clients.list(lk.orgId)).length;
    const many = await session.post('/settings/api', form(uris(21)));
    expect(many.status).toBe(422);
    expect(decode(many.body)).toContain('Register at most 20 redirect URLs (21 were given)');
    const long = await session.post('/settings/api', form([tooLong]));
    expect(long.status).toBe(422);
    expect(decode(long.body)).toContain('Shorten the URL to 2000 characters (it has 2024)');
    expect(await lk.services.store.clients.list(lk.orgId)).toHaveLength(before);
    expect((await session.post('/settings/api', form(uris(20)))).status).toBe(201);

    // The admin API, creating and changing.
    const admin = await lk.createClient({ grants: ['client_credentials'], scopes: ['latchkey:admin'] });
    const token = ((await (await requestToken(lk.issuer, admin)).json()) as { access_token: string })
      .access_token;
    const call = (method: string, path: string, body: unknown) =>
      fetch(`${lk.issuer}/admin/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    for (const redirect_uris of [uris(21), [tooLong]]) {
      const created = await call('POST', `/organizations/${lk.orgId}/clients`, { name: 'X', redirect_uris });
      expect(created.status).toBe(400);
      expect((await created.json()).errors).toEqual([
        expect.objectContaining({ pointer: expect.stringMatching(/^\/redirect_uris/) }),
      ]);
    }
    const fine = await lk.createClient({ redirectUris: uris(1) });
    const changed = await call('PATCH', `/clients/${fine.clientId}`, { redirect_uris: uris(21) });
    expect(changed.status).toBe(400);
    expect((await lk.services.store.clients.find(fine.clientId))!.redirectUris).toHaveLength(1);

    // The CLI (the compiled bin), with a database of its own.
    assertBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-crafted-'));
    try {
      const env = { ...process.env, LATCHKEY_DATABASE: join(dir, 'cli.sqlite'), LATCHKEY_LOG_LEVEL: 'warn' };
      const cli = (args: string[]) =>
        run(process.execPath, [bin, ...args], { env, timeout: 60_000 }).then(
          (r) => ({ code: 0, ...r }),
          (e: { code: number; stdout: string; stderr: string }) => e,
        );
      const org = JSON.parse((await cli(['org', 'create', '--name', 'Acme', '--json'])).stdout) as {
        id: string;
      };
      const refused = await cli([
        'client',
        'create',
        '--org',
        org.id,
        '--name',
        'Too many',
        ...uris(21).flatMap((uri) => ['--redirect-uri', uri]),
      ]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expect(refused.stderr).toContain('Register at most 20 redirect URLs (21 were given)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
