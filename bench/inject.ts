/**
 * Per-request cost of Latchkey's own code, compared between checkouts in ONE process: each built
 * checkout's dist/ app (SQLite file, no socket: Fastify's inject) answers the same requests in turn,
 * alternating in short batches for many rounds, so the load of this shared machine falls on all alike.
 * Reports the median µs per request of each. The HTTP socket layer, identical for all, is left out.
 *
 *   node --import tsx bench/inject.ts [--compare DIR]... [--rounds 15] [--batch 500]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';

const { values: o } = parseArgs({
  options: {
    compare: { type: 'string', multiple: true, default: [] },
    rounds: { type: 'string', default: '15' },
    batch: { type: 'string', default: '500' },
    only: { type: 'string' },
  },
});
const root = join(import.meta.dirname, '..');
const checkouts = [...o.compare, root];

interface App {
  name: string;
  inject(c: Case): Promise<number>;
}
type Case = 'cc-basic-form' | 'cc-post-json' | 'introspect' | 'me';
const caseIds = (['cc-basic-form', 'cc-post-json', 'introspect', 'me'] as Case[]).filter(
  (c) => !o.only || o.only.split(',').includes(c),
);

async function load(checkout: string): Promise<App> {
  const dist = (file: string) => import(join(checkout, 'dist', file));
  const { loadConfig } = await dist('config/index.js');
  const { createServices } = await dist('services.js');
  const { buildApp } = await dist('http/app.js');
  const { createCredentials } = await dist('oauth/client-registration.js');
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-inject-'));
  const config = loadConfig({
    NODE_ENV: 'production',
    LATCHKEY_ISSUER: 'http://127.0.0.1:1',
    LATCHKEY_DATABASE: join(dir, 'db.sqlite'),
    LATCHKEY_ENVIRONMENT: 'bench',
    LATCHKEY_LOG_LEVEL: 'warn',
    LATCHKEY_TOKEN_RATE_LIMIT: '100000000/minute',
  });
  const s = await createServices(config, { log: pino({ level: 'silent' }) });
  const org = await s.store.accounts.createOrganization('Bench');
  const { client, clientSecret } = await createCredentials(
    {
      orgId: org.id,
      name: 'bench',
      grantTypes: ['client_credentials'],
      scopes: ['invoices:read'],
      actor: 'bench',
    },
    s,
  );
  const app = await buildApp(s);
  await app.ready();
  const basic = `Basic ${Buffer.from(`${client.id}:${clientSecret}`).toString('base64')}`;
  const form = 'application/x-www-form-urlencoded';
  const ccForm = { grant_type: 'client_credentials', scope: 'invoices:read' };
  const issue = await app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: { authorization: basic, 'content-type': form },
    payload: new URLSearchParams(ccForm).toString(),
  });
  const token = issue.json().access_token as string;
  const requests: Record<Case, object> = {
    'cc-basic-form': {
      method: 'POST',
      url: '/oauth/token',
      headers: { authorization: basic, 'content-type': form },
      payload: new URLSearchParams(ccForm).toString(),
    },
    'cc-post-json': {
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ ...ccForm, client_id: client.id, client_secret: clientSecret }),
    },
    introspect: {
      method: 'POST',
      url: '/oauth/introspect',
      headers: { authorization: basic, 'content-type': form },
      payload: `token=${token}`,
    },
    me: { method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } },
  };
  return {
    name: checkout === root ? 'this checkout' : basename(checkout),
    async inject(c) {
      const r = await app.inject(requests[c] as never);
      return r.statusCode;
    },
  };
}

const apps: App[] = [];
for (const c of checkouts) apps.push(await load(c));
const batch = Number(o.batch);
const samples = new Map<string, number[]>();
for (let round = 0; round < Number(o.rounds); round++) {
  for (const c of caseIds) {
    for (const app of round % 2 ? [...apps].reverse() : apps) {
      const t0 = performance.now();
      for (let i = 0; i < batch; i++) {
        const status = await app.inject(c);
        if (status !== 200) throw new Error(`${app.name} ${c}: ${status}`);
      }
      const us = ((performance.now() - t0) * 1000) / batch;
      if (round > 0) samples.set(`${c}|${app.name}`, [...(samples.get(`${c}|${app.name}`) ?? []), us]);
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
process.stdout.write(
  `| case | ${apps.map((a) => a.name).join(' | ')} |\n| --- |${' ---: |'.repeat(apps.length)}\n`,
);
for (const c of caseIds)
  process.stdout.write(
    `| ${c} | ${apps.map((a) => `${median(samples.get(`${c}|${a.name}`)!).toFixed(0)} µs`).join(' | ')} |\n`,
  );
process.exit(0);
