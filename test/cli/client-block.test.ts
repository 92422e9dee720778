import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callbackUri as cb, redeem, state } from '../helpers/connections.ts';
import { assertBuilt, bin } from '../helpers/dist.ts';
import { type Latchkey, requestToken, startLatchkey, type TestClient } from '../helpers/latchkey.ts';
import { introspect, obtainCode, Person } from '../helpers/oauth-flow.ts';
import { createOwnerlessClient } from '../helpers/ownerless-clients.ts';

// `latchkey client block CLIENT_ID [--json]` against the database a running server uses: the server
// refuses the client from the next request on (SQLite: it sees the CLI's commit).
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'latchkey-block-'));
const env = {
  ...process.env,
  LATCHKEY_DATABASE: join(dir, 'block.sqlite'),
  LATCHKEY_ENVIRONMENT: 'test',
  LATCHKEY_LOG_LEVEL: 'warn',
};

async function latchkey(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { env, timeout: 60_000 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

let lk: Latchkey;
let resourceServer: TestClient;

beforeAll(async () => {
  assertBuilt();
  lk = await startLatchkey({
    env: { LATCHKEY_DATABASE: env.LATCHKEY_DATABASE, LATCHKEY_CLIENT_METADATA_DOCUMENTS: 'true' },
  });
  resourceServer = await lk.createClient({
    grants: ['client_credentials'],
    scopes: ['latchkey:introspect'],
    redirectUris: [],
  });
}, 60_000);
afterAll(async () => {
  await lk.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('latchkey client block', { timeout: 120_000 }, () => {
  it('blocks software of no organization by its URL id: --json, the running server refuses it, once only', async () => {
    const agent = await createOwnerlessClient(lk, { name: 'Pocket Agent', origin: 'metadata_document' });
    const u = await lk.createUser();
    const person = new Person(lk, u.email, u.password);
    await person.signIn();
    const got = await obtainCode(person, { client: agent, redirectUri: cb });
    const connection = await redeem(lk, agent, got.code!, got.verifier);

    const blocked = await latchkey(['client', 'block', agent.clientId, '--json']);
    expect(blocked.stderr).toBe('');
    expect(blocked.code).toBe(0);
    expect(blocked.stdout.trim().split('\n')).toHaveLength(1);
    const answer = JSON.parse(blocked.stdout);
    expect(answer).toMatchObject({
      client_id: agent.clientId,
      organization_id: null,
      origin: 'metadata_document',
      changed: true,
      grants_revoked: 1,
    });
    expect(Date.parse(answer.blocked_at)).toBeGreaterThan(0);

    expect(await state(lk, agent, connection)).toMatchObject({ refresh: 'invalid_client' });
    expect((await introspect(lk, resourceServer, connection.accessToken)).active).toBe(false);

    const again = await latchkey(['client', 'block', agent.clientId]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('was already blocked');
    const events = await lk.services.store.audit.list({
      clientId: agent.clientId,
      actions: ['client.blocked'],
    });
    expect(events).toEqual([expect.objectContaining({ orgId: null, actor: 'cli' })]);

    const listed = await latchkey(['client', 'list']);
    expect(listed.stdout).toContain(
      `${agent.clientId}  Pocket Agent  (no organization, metadata_document)  BLOCKED since ${answer.blocked_at}`,
    );
    const asJson = JSON.parse((await latchkey(['client', 'list', '--json'])).stdout);
    expect(asJson.clients).toContainEqual(
      expect.objectContaining({ client_id: agent.clientId, blocked_at: answer.blocked_at }),
    );
  });

  it("blocks an organization's credentials: their client_credentials token stops working", async () => {
    const books = await lk.createClient({ name: 'Books', grants: ['client_credentials'], redirectUris: [] });
    const token = String(
      ((await (await requestToken(lk.issuer, books)).json()) as { access_token: string }).access_token,
    );
    expect((await introspect(lk, resourceServer, token)).active).toBe(true);
    const blocked = await latchkey(['client', 'block', books.clientId]);
    expect(blocked.code).toBe(0);
    expect(blocked.stdout).toContain(`Blocked Books (${books.clientId}); 0 grants revoked`);
    expect((await introspect(lk, resourceServer, token)).active).toBe(false);
    expect((await requestToken(lk.issuer, books)).status).toBe(401);
  });

  it('an unknown client id: one clear line, a non-zero exit', async () => {
    const r = await latchkey(['client', 'block', 'https://nowhere.example/client.json']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('latchkey: No client with ID https://nowhere.example/client.json\n');
  });
});
