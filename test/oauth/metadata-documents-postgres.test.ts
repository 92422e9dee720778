import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientDocument,
  type DocumentServer,
  resolveToLoopback,
  startDocumentServer,
} from '../helpers/document-server.ts';
import { type Latchkey, testClock } from '../helpers/latchkey.ts';
import { obtainCode, Person, tokenRequest } from '../helpers/oauth-flow.ts';
import { startLatchkeyOnPostgres } from '../helpers/postgres.ts';

// A metadata document client on PostgreSQL: stored on first use, used for the whole flow, fetched
// again once stale, and a blocked one kept blocked and never fetched.
const clock = testClock(Date.now());
const redirectUri = 'http://127.0.0.1:9999/callback';
let docs: DocumentServer;
let lk: Latchkey;

beforeAll(async () => {
  docs = await startDocumentServer();
  lk = await startLatchkeyOnPostgres({
    clock,
    env: {
      LATCHKEY_CLIENT_METADATA_DOCUMENTS: 'true',
      LATCHKEY_CLIENT_METADATA_ALLOWED_HOSTS: 'client.test',
    },
    documentFetch: { ca: docs.ca.caPem, resolve: resolveToLoopback },
  });
});
afterAll(async () => {
  await lk?.close();
  await docs.close();
});

describe('Client ID Metadata Documents on PostgreSQL', () => {
  it('runs the code flow, refreshes a stale document, and never fetches a blocked one', async () => {
    expect(lk.services.store.dialect).toBe('postgres');
    const id = docs.url('/pg/agent.json');
    docs.serve('/pg/agent.json', {
      json: clientDocument(id, redirectUri),
      headers: { 'cache-control': 'max-age=3600' },
    });
    const user = await lk.createUser();
    const person = new Person(lk, user.email, user.password);
    await person.signIn();
    const client = { clientId: id, clientSecret: '', orgId: lk.orgId };

    const { code, verifier } = await obtainCode(person, { client, redirectUri });
    const token = await tokenRequest(lk, client, {
      grant_type: 'authorization_code',
      code: code!,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    });
    expect(token.status).toBe(200);
    expect(await lk.services.store.clients.find(id)).toMatchObject({
      origin: 'metadata_document',
      orgId: null,
      metadataExpiresAt: clock() + 3_600_000,
    });
    expect(docs.hits('/pg/agent.json')).toBe(1);

    docs.serve('/pg/agent.json', { json: clientDocument(id, redirectUri, { client_name: 'Agent v2' }) });
    clock.advance(3_600_001);
    expect((await obtainCode(person, { client, redirectUri })).code).toBeDefined();
    expect(docs.hits('/pg/agent.json')).toBe(2);
    expect((await lk.services.store.clients.find(id))!.name).toBe('Agent v2');

    const blockedAt = clock();
    await lk.services.store.clients.block(id, blockedAt);
    clock.advance(24 * 3_600_000);
    const r = await person.authorize({ response_type: 'code', client_id: id, redirect_uri: redirectUri });
    expect(r.status).toBe(400);
    expect(docs.hits('/pg/agent.json')).toBe(2);
    expect((await lk.services.store.clients.find(id))!.blockedAt).toBe(blockedAt);
  });
});
