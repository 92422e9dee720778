// The peers: node-oidc-provider (in memory, ES256 JWT access tokens) and bare Fastify (ceiling).
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { basic, type CaseId, clientCredentials, encode, type Plan, post, rotate, supply } from './cases.ts';
import { freePort, rss, startPinned, stop } from './process.ts';
import type { Target } from './target.ts';

const servers = join(import.meta.dirname, '../servers');
const settle = () => new Promise((r) => setTimeout(r, 500));

export const fastifyName = 'bare Fastify (ceiling)';
export const signingFloorName = 'Fastify + one ES256 signature (floor)';

/**
 * Bare Fastify; with `signing`, Fastify that signs one ES256 JWT per token request and does nothing
 * else (servers/fastify-signing.mjs): the floor for the token cases, which only it runs.
 */
export async function startFastify(core: number, signing = false): Promise<Target> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const script = signing ? 'fastify-signing.mjs' : 'fastify.mjs';
  const started = await startPinned([process.execPath, join(servers, script)], {
    core,
    env: { ...process.env, NODE_ENV: 'production', PORT: String(port) },
    probe: `${url}/me`,
  });
  await settle();
  const c = { basicId: 'a', postId: 'a', secret: 'b' };
  return {
    name: signing ? signingFloorName : fastifyName,
    url,
    pid: started.child.pid!,
    startMs: started.startMs,
    idleRss: rss(started.child.pid!),
    async plan(id: CaseId): Promise<Plan | undefined> {
      if (signing && (id === 'introspect' || id === 'me')) return undefined;
      if (id === 'me') return { method: 'GET', path: '/me', headers: { authorization: 'Bearer x' } };
      if (id === 'introspect') return post('/introspect', { token: 'x' }, { authorization: basic('a', 'b') });
      if (id === 'code' || id === 'refresh')
        return post(
          '/token',
          { grant_type: 'refresh_token', refresh_token: 'x' },
          { authorization: basic('a', 'b') },
        );
      return clientCredentials('/token', id, c);
    },
    close: () => stop(started.child),
  };
}

/** Asks the peer's process to mint `n` artifacts with its own models (see servers/oidc-provider.mjs). */
function minter(child: ChildProcess): (kind: 'code' | 'refresh' | 'access', n: number) => Promise<string[]> {
  let next = 0;
  const waiting = new Map<number, (m: { values?: string[]; error?: string }) => void>();
  child.on('message', (m: { id: number; values?: string[]; error?: string }) => waiting.get(m.id)?.(m));
  return (kind, n) =>
    new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, (m) => {
        waiting.delete(id);
        if (m.values) resolve(m.values);
        else reject(new Error(`node-oidc-provider mint ${kind}: ${m.error}`));
      });
      child.send({ id, kind, n });
    });
}

export async function startOidcProvider(core: number, tokens: number): Promise<Target> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = await startPinned([process.execPath, join(servers, 'oidc-provider.mjs')], {
    core,
    env: { ...process.env, NODE_ENV: 'production', PORT: String(port) },
    probe: `${url}/.well-known/openid-configuration`,
    ipc: true,
  });
  await settle();
  const pid = started.child.pid!;
  const idleRss = rss(pid);
  const ready = JSON.parse(/READY (.*)\n/.exec(started.stdout())![1]!) as {
    clientId: string;
    postClientId: string;
    clientSecret: string;
    redirectUri: string;
    verifier: string;
  };
  const mint = minter(started.child);
  const accessTokens = await mint('access', tokens);
  const auth = basic(ready.clientId, ready.clientSecret);
  return {
    name: 'node-oidc-provider',
    url,
    pid,
    startMs: started.startMs,
    idleRss,
    async plan(c: CaseId, n: number): Promise<Plan | undefined> {
      // Its token endpoint takes form bodies only (RFC 6749 §4.4.2); JSON is a Latchkey extension.
      if (c.endsWith('json')) return undefined;
      if (c === 'code' || c === 'refresh') {
        const values = supply(await mint(c, n));
        const body =
          c === 'code'
            ? () =>
                encode({
                  grant_type: 'authorization_code',
                  code: values.take(),
                  redirect_uri: ready.redirectUri,
                  code_verifier: ready.verifier,
                })
            : () => encode({ grant_type: 'refresh_token', refresh_token: values.take() });
        const plan = post('/token', { grant_type: c }, { authorization: auth });
        return {
          ...plan,
          next: () => ({ body: body() }),
          shortfall: values.shortfall,
          remaining: values.remaining,
        };
      }
      if (c === 'introspect') {
        const next = rotate(accessTokens);
        const plan = post('/token/introspection', { token: '' }, { authorization: auth });
        return { ...plan, note: 'opaque token', next: () => ({ body: encode({ token: next() }) }) };
      }
      if (c === 'me') {
        const next = rotate(accessTokens);
        return {
          method: 'GET',
          path: '/me',
          headers: {},
          note: 'userinfo, opaque token',
          next: () => ({ headers: { authorization: `Bearer ${next()}` } }),
        };
      }
      const creds = { basicId: ready.clientId, postId: ready.postClientId, secret: ready.clientSecret };
      return clientCredentials('/token', c, creds);
    },
    close: () => stop(started.child),
  };
}
