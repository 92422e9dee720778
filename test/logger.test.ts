import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { within } from './helpers/instances.ts';
import { freePort, type Latchkey, startLatchkey } from './helpers/latchkey.ts';

// DESIGN.md "Operating it": logs keep error codes (ECONNREFUSED), redacting only secrets: passwords
// in URLs, tokens, codes, Authorization.

type Line = { msg: string; err?: { code?: string; message: string }; [key: string]: unknown };
let lk: Latchkey;
let text = '';
const lines = (): Line[] =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));

beforeAll(async () => {
  const logStream = new PassThrough();
  logStream.on('data', (d) => (text += d));
  const closed = await freePort(); // nothing listens there: Redis refuses
  lk = await startLatchkey({
    logStream,
    env: { LATCHKEY_REDIS_URL: `redis://:s3cret-redis@127.0.0.1:${closed}`, LATCHKEY_LOG_LEVEL: 'debug' },
  });
});
afterAll(() => lk?.close());

describe('log lines', () => {
  it('keep the code of a connection refused', async () => {
    const warned = () => lines().find((l) => l.msg.startsWith('Redis is unreachable'));
    expect(await within(10_000, async () => warned() !== undefined)).toBe(true);
    expect(warned()!.err!.code).toBe('ECONNREFUSED');
  });

  it('redact passwords in URLs, tokens, codes and Authorization, and nothing else', async () => {
    const fault = Object.assign(
      new Error('could not reach postgres://latchkey:s3cret-pw@db.internal:5432/latchkey'),
      { code: 'ECONNREFUSED' },
    );
    lk.services.log.warn(
      {
        err: fault,
        token: 's3cret-token',
        body: { code: 's3cret-code', client_secret: 's3cret-client' },
        req: { headers: { authorization: 'Bearer s3cret-bearer' } },
        client_id: 'kept-client-id',
      },
      'a fault',
    );
    const line = lines().find((l) => l.msg === 'a fault')!;
    expect(line.err!.code).toBe('ECONNREFUSED');
    expect(line.err!.message).toBe(
      'could not reach postgres://latchkey:[redacted]@db.internal:5432/latchkey',
    );
    expect(line).toMatchObject({
      token: '[redacted]',
      body: { code: '[redacted]', client_secret: '[redacted]' },
      req: { headers: { authorization: '[redacted]' } },
      client_id: 'kept-client-id',
    });

    // A request's URL (logged at debug) with secrets in its query.
    await fetch(`${lk.issuer}/healthz?state=kept&code=s3cret-query-code&access_token=s3cret-query-token`);
    expect(text).toContain('/healthz?state=kept&code=[redacted]&access_token=[redacted]');
    // An invitation link is a bearer secret in its path.
    await fetch(`${lk.issuer}/invitations/s3cret-invitation-token`);
    expect(text).toContain('/invitations/[redacted]');

    expect(text).not.toMatch(/s3cret/);
  });
});
