import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchRefused, type GuardedFetchOptions, guardedFetch } from '../../src/net/guarded-fetch.ts';

// The fetcher for URLs a caller chose (RFC 9700 §4.16), against a real HTTPS server on loopback with
// a throwaway certificate for jwks.test and localhost. Every refusal is checked at the server too:
// no connection reached it.
let dir: string;
let cert: Buffer;
let server: Server;
let port: number;
let connections = 0;
const seen: { servername: string | false | null; host: string | undefined; path: string | undefined }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'latchkey-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=jwks.test',
      '-addext',
      'subjectAltName=DNS:jwks.test,DNS:localhost',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  cert = readFileSync(join(dir, 'cert.pem'));
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
    seen.push({ servername: (req.socket as TLSSocket).servername, host: req.headers.host, path: req.url });
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/jwks' }).end();
    } else if (req.url === '/big') {
      res.write('x'.repeat(600));
      res.end('x'.repeat(600)); // chunked: no content-length to trust
    } else if (req.url === '/hang') {
      // Never answers.
    } else {
      res.setHeader('content-type', 'application/json');
      res.end('{"keys":[]}');
    }
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

const options = (o: Partial<GuardedFetchOptions> = {}): GuardedFetchOptions => ({
  allowedHosts: [],
  timeoutMs: 2_000,
  maxBytes: 1_000,
  ca: cert,
  ...o,
});

/** The reason a fetch was refused, with no connection made to the server. */
async function refusedWithoutConnecting(url: string, o: Partial<GuardedFetchOptions> = {}): Promise<string> {
  const before = connections;
  const error = await guardedFetch(url, options(o)).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(FetchRefused);
  expect(connections).toBe(before);
  return (error as Error).message;
}

describe('guardedFetch', () => {
  it('connects to the one address it resolved and checked, keeping the name for SNI, the certificate and Host', async () => {
    let lookups = 0;
    // jwks.test is not in any DNS: only the pinned answer can have taken the request to the server.
    const resolve = async (name: string) => {
      lookups++;
      expect(name).toBe('jwks.test');
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const r = await guardedFetch(
      `https://jwks.test:${port}/jwks?x=1`,
      options({ allowedHosts: ['jwks.test'], resolve }),
    );
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('{"keys":[]}');
    expect(lookups).toBe(1);
    expect(seen.at(-1)).toEqual({ servername: 'jwks.test', host: `jwks.test:${port}`, path: '/jwks?x=1' });
  });

  it('refuses loopback, private and other non-public addresses written in the URL', async () => {
    for (const host of [
      '127.0.0.1',
      '[::1]',
      '[::ffff:127.0.0.1]',
      '10.0.0.1',
      '169.254.169.254',
      '0.0.0.0',
      '2130706433',
    ]) {
      expect(await refusedWithoutConnecting(`https://${host}:${port}/jwks`)).toMatch(/non-public address/);
    }
    expect(await refusedWithoutConnecting(`https://localhost:${port}/jwks`)).toMatch(/this machine/);
  });

  it('refuses a name that resolves to a non-public address, even among public ones', async () => {
    const to =
      (...addresses: string[]) =>
      async () =>
        addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    const url = `https://jwks.test:${port}/jwks`;
    expect(await refusedWithoutConnecting(url, { resolve: to('127.0.0.1') })).toMatch(
      /resolves to 127\.0\.0\.1/,
    );
    expect(await refusedWithoutConnecting(url, { resolve: to('::ffff:7f00:1') })).toMatch(/non-public/);
    expect(await refusedWithoutConnecting(url, { resolve: to('8.8.8.8', '10.1.1.1') })).toMatch(
      /10\.1\.1\.1/,
    );
    expect(await refusedWithoutConnecting(url, { resolve: to() })).toMatch(/no address/);
  });

  it('needs https unless the host is allowed, and never a user name in the URL', async () => {
    expect(await refusedWithoutConnecting(`http://jwks.test:${port}/jwks`)).toMatch(/https/);
    expect(
      await refusedWithoutConnecting(`https://u:p@jwks.test:${port}/jwks`, { allowedHosts: ['jwks.test'] }),
    ).toMatch(/user name/);
    expect(await refusedWithoutConnecting('not a url')).toMatch(/absolute URL/);
  });

  it('with onlyAllowedHosts, fetches nothing but the listed hosts (and any host while the list is empty)', async () => {
    const only = { allowedHosts: ['jwks.test'], onlyAllowedHosts: true };
    const error = await guardedFetch(`https://other.test:${port}/jwks`, options(only)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FetchRefused);
    expect((error as FetchRefused).failure).toBe('host_not_allowed');
    expect(await refusedWithoutConnecting(`https://127.0.0.1:${port}/jwks`, only)).toMatch(/not in the list/);
    const resolve = async () => [{ address: '127.0.0.1', family: 4 }];
    expect((await guardedFetch(`https://jwks.test:${port}/jwks`, options({ ...only, resolve }))).status).toBe(
      200,
    );
    // An empty list lists nothing: the public-address check alone decides.
    const open = await guardedFetch(
      `https://jwks.test:${port}/jwks`,
      options({ onlyAllowedHosts: true, resolve }),
    ).catch((e: unknown) => e);
    expect((open as FetchRefused).failure).toBe('address');
  });

  it('says what kind of refusal it was', async () => {
    const kind = async (url: string, o: Partial<GuardedFetchOptions> = {}) =>
      ((await guardedFetch(url, options(o)).catch((e: unknown) => e)) as FetchRefused).failure;
    expect(await kind(`https://10.0.0.1:${port}/jwks`)).toBe('address');
    expect(await kind(`https://localhost:${port}/jwks`)).toBe('address');
    expect(await kind('not a url')).toBe('url');
    const local = { allowedHosts: ['localhost'] };
    expect(await kind(`https://localhost:${port}/big`, local)).toBe('too_large');
    expect(await kind(`https://localhost:${port}/hang`, { ...local, timeoutMs: 300 })).toBe('timeout');
    expect(await kind(`https://localhost:1/jwks`, local)).toBe('unreachable');
  });

  it('does not follow redirects', async () => {
    const before = seen.length;
    const r = await guardedFetch(
      `https://localhost:${port}/redirect`,
      options({ allowedHosts: ['localhost'] }),
    );
    expect(r.status).toBe(302);
    expect(seen.slice(before).map((s) => s.path)).toEqual(['/redirect']);
  });

  it('stops reading past the size limit', async () => {
    const error = await guardedFetch(
      `https://localhost:${port}/big`,
      options({ allowedHosts: ['localhost'] }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchRefused);
    expect((error as Error).message).toMatch(/larger than 1000 bytes/);
  });

  it('gives up at the time limit', async () => {
    const error = await guardedFetch(
      `https://localhost:${port}/hang`,
      options({ allowedHosts: ['localhost'], timeoutMs: 300 }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchRefused);
    expect((error as Error).message).toMatch(/timed out/);
  });

  it('checks the certificate against the name (no trust for another name)', async () => {
    const error = await guardedFetch(
      `https://other.test:${port}/jwks`,
      options({ allowedHosts: ['other.test'], resolve: async () => [{ address: '127.0.0.1', family: 4 }] }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchRefused);
    expect((error as Error).message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
  });
});
