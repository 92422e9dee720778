import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, bin } from '../helpers/dist.ts';

// `latchkey client create` with private_key_jwt keys and the PAR/DPoP requirements.
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'latchkey-modern-cli-'));
const env = { ...process.env, LATCHKEY_DATABASE: join(dir, 'cli.sqlite'), LATCHKEY_LOG_LEVEL: 'warn' };
const latchkey = async (...args: string[]) =>
  JSON.parse((await run(process.execPath, [bin, ...args, '--json'], { env })).stdout);
let orgId: string;

beforeAll(async () => {
  assertBuilt();
  orgId = (await latchkey('org', 'create', '--name', 'Bank')).id;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('client create --jwks / --jwks-uri / --require-par / --require-dpop', () => {
  it('registers keys instead of a secret, and the flags', async () => {
    const file = join(dir, 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'eA', y: 'eQ', kid: 'k1' }] }));
    const created = await latchkey(
      'client',
      'create',
      '--org',
      orgId,
      '--name',
      'Signer',
      '--grant',
      'client_credentials',
      '--jwks',
      file,
      '--require-dpop',
    );
    expect(created.client_secret).toBeUndefined();
    const shown = await latchkey('client', 'show', created.client_id);
    expect(shown).toMatchObject({
      token_endpoint_auth_method: 'private_key_jwt',
      dpop_bound_access_tokens: true,
    });

    const byUri = await latchkey(
      'client',
      'create',
      '--org',
      orgId,
      '--name',
      'Rotator',
      '--redirect-uri',
      'https://app.example/cb',
      '--jwks-uri',
      'https://app.example/jwks.json',
      '--require-par',
    );
    expect(await latchkey('client', 'show', byUri.client_id)).toMatchObject({
      require_pushed_authorization_requests: true,
    });
  });

  it('refuses a private key with one clear line', async () => {
    const file = join(dir, 'private.json');
    writeFileSync(file, JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'eA', y: 'eQ', d: 'ZA' }] }));
    const error = await run(
      process.execPath,
      [
        bin,
        'client',
        'create',
        '--org',
        orgId,
        '--name',
        'X',
        '--grant',
        'client_credentials',
        '--jwks',
        file,
      ],
      { env },
    ).catch((e) => e);
    expect(error.code).not.toBe(0);
    expect(error.stderr.trim().split('\n')).toHaveLength(1);
    expect(error.stderr).toContain('public keys only');
  });
});
