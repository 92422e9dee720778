import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base62, base62Number, sha256 } from '../../src/crypto.ts';
import { rotateSecret } from '../../src/oauth/client-registration.ts';
import { generateClientId, generateClientSecret, inspectSecret } from '../../src/oauth/secrets.ts';
import {
  type Latchkey,
  requestToken,
  startLatchkey,
  type TestClient,
  testClock,
} from '../helpers/latchkey.ts';

const clock = testClock();
let lk: Latchkey;

const token = (c: { clientId: string; clientSecret: string }) => requestToken(lk.issuer, c);

beforeAll(async () => {
  lk = await startLatchkey({ clock });
});
afterAll(() => lk.close());

describe('client secret format', () => {
  it('names the environment, carries 256 bits of randomness and a checksum', () => {
    const { secret, hash } = generateClientSecret('production');
    expect(secret).toMatch(/^lk_production_[0-9A-Za-z]{43}[0-9A-Za-z]{6}$/);
    expect(inspectSecret(secret)).toEqual({ ok: true, environment: 'production' });
    expect(hash).toBe(sha256(secret));
    // 43 base62 digits hold 62^43 > 2^256 values.
    expect(43 * Math.log2(62)).toBeGreaterThanOrEqual(256);
  });

  it('keeps the checksum of secrets issued before: a fixed secret still checks out', () => {
    // Made by the BigInt base62 of the CRC-32's four bytes that earlier versions used.
    const issued = 'lk_production_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg';
    const sum = base62(Buffer.from(crc32(issued).toString(16).padStart(8, '0'), 'hex'), 6);
    expect(inspectSecret(issued + sum)).toEqual({ ok: true, environment: 'production' });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        const bytes = Buffer.alloc(4);
        bytes.writeUInt32BE(n);
        expect(base62Number(n, 6)).toBe(base62(bytes, 6));
      }),
    );
  });

  it('detects a mistyped secret by its checksum', () => {
    const { secret } = generateClientSecret('stage');
    const i = 20;
    const typo = secret.slice(0, i) + (secret[i] === 'a' ? 'b' : 'a') + secret.slice(i + 1);
    expect(inspectSecret(typo)).toEqual({ ok: false, reason: 'checksum' });
    expect(inspectSecret('hunter2')).toEqual({ ok: false, reason: 'format' });
  });

  it('is unique each time', () => {
    const set = new Set(Array.from({ length: 100 }, () => generateClientSecret('stage').secret));
    expect(set.size).toBe(100);
  });
});

describe('client secret storage and checks', () => {
  let client: TestClient;
  beforeAll(async () => {
    client = await lk.createClient();
  });

  it('is stored only as its SHA-256 hash', async () => {
    const stored = await lk.services.store.clients.secrets(client.clientId);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.secretHash).toBe(sha256(client.clientSecret));
    const rows = await lk.services.store.rows('client_secrets');
    expect(JSON.stringify(rows)).not.toContain(client.clientSecret);
  });

  it('refuses a secret from another environment, saying so', async () => {
    const foreign = generateClientSecret('production').secret;
    const res = await token({ clientId: client.clientId, clientSecret: foreign });
    expect(res.status).toBe(401);
    const body = await res.json();
    expect(body.error).toBe('invalid_client');
    expect(body.error_description).toContain('"production" environment');
    expect(body.error_description).toContain('"test"');
  });

  it('refuses a mistyped secret with a description that says so', async () => {
    const typo = `${client.clientSecret.slice(0, -1)}${client.clientSecret.endsWith('a') ? 'b' : 'a'}`;
    const res = await token({ clientId: client.clientId, clientSecret: typo });
    expect(res.status).toBe(401);
    expect((await res.json()).error_description).toMatch(/checksum/);
  });

  it('refuses an expired secret and accepts the new one', async () => {
    const c = await lk.createClient();
    const fresh = await rotateSecret(c.clientId, 3600, 'test', lk.services);
    expect((await token(c)).status).toBe(200);
    expect((await token({ clientId: c.clientId, clientSecret: fresh })).status).toBe(200);
    clock.advance(3600_000);
    const old = await token(c);
    expect(old.status).toBe(401);
    expect((await old.json()).error_description).toMatch(/expired/);
    expect((await token({ clientId: c.clientId, clientSecret: fresh })).status).toBe(200);
  });

  it('records when a secret was last used', async () => {
    const c = await lk.createClient();
    expect((await lk.services.store.clients.secrets(c.clientId))[0]!.lastUsedAt).toBeNull();
    expect((await token(c)).status).toBe(200);
    await new Promise((r) => setImmediate(r));
    expect((await lk.services.store.clients.secrets(c.clientId))[0]!.lastUsedAt).toBe(clock());
  });
});

describe('a secret from another deployment', () => {
  it('a stage secret at a production server that never heard of its client names both environments', async () => {
    const production = await startLatchkey({ env: { LATCHKEY_ENVIRONMENT: 'production' } });
    try {
      const stranger = { clientId: generateClientId(), clientSecret: generateClientSecret('stage').secret };
      for (const auth of ['json', 'basic'] as const) {
        const res = await requestToken(production.issuer, stranger, { auth });
        expect(res.status).toBe(401);
        const body = await res.json();
        expect(body.error).toBe('invalid_client');
        expect(body.error_description).toContain('"stage" environment');
        expect(body.error_description).toContain('"production"');
      }
    } finally {
      await production.close();
    }
  });

  it('a stage secret stored in a production database (a stage backup restored there) is refused', async () => {
    const production = await startLatchkey({ env: { LATCHKEY_ENVIRONMENT: 'production' } });
    try {
      const client = await production.createClient();
      const stage = generateClientSecret('stage');
      await production.services.store.clients.addSecret({
        id: 'restored-stage-secret',
        clientId: client.clientId,
        secretHash: stage.hash,
        hint: stage.hint,
        createdAt: Date.now(),
        expiresAt: null,
        createdBy: null,
      });
      const res = await requestToken(production.issuer, { ...client, clientSecret: stage.secret });
      expect(res.status).toBe(401);
      expect((await res.json()).error_description).toContain('"stage" environment');
      expect((await requestToken(production.issuer, client)).status).toBe(200);
    } finally {
      await production.close();
    }
  });
});
