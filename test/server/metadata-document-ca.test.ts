import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServedBin, serveBuilt } from '../helpers/dist.ts';
import { clientDocument, type DocumentServer, startDocumentServer } from '../helpers/document-server.ts';
import { freePort } from '../helpers/latchkey.ts';
import { codeRequestParams } from '../helpers/oauth-flow.ts';

// `latchkey serve` fetches metadata documents with TLS verified against the URL's host and the
// trust anchors Node is given (NODE_EXTRA_CA_CERTS): a platform's private CA, or a test's throwaway one.
const redirectUri = 'http://127.0.0.1:9999/callback';
const dir = mkdtempSync(join(tmpdir(), 'latchkey-cimd-'));
let docs: DocumentServer;
let id: string;
beforeAll(async () => {
  docs = await startDocumentServer();
  id = docs.url('/agent.json', '127.0.0.1');
  docs.serve('/agent.json', { json: clientDocument(id, redirectUri) });
});
afterAll(async () => {
  await docs.close();
  rmSync(dir, { recursive: true, force: true });
});

async function serve(name: string, extra: NodeJS.ProcessEnv): Promise<{ bin: ServedBin; url: string }> {
  const port = await freePort();
  const bin = serveBuilt({
    PORT: String(port),
    LATCHKEY_DATABASE: join(dir, `${name}.sqlite`),
    LATCHKEY_ENVIRONMENT: 'test',
    LATCHKEY_CLIENT_METADATA_DOCUMENTS: 'true',
    LATCHKEY_CLIENT_METADATA_ALLOWED_HOSTS: '127.0.0.1',
    NODE_EXTRA_CA_CERTS: undefined,
    ...extra,
  });
  await bin.waitFor(/latchkey listening/);
  return { bin, url: `http://127.0.0.1:${port}` };
}

async function authorize(url: string): Promise<Response> {
  const query = new URLSearchParams(codeRequestParams(id, redirectUri));
  return fetch(`${url}/oauth/authorize?${query}`, { redirect: 'manual' });
}

describe('metadata documents fetched by the server process', () => {
  it('are trusted through NODE_EXTRA_CA_CERTS, and not without it', async () => {
    const trusting = await serve('trusting', { NODE_EXTRA_CA_CERTS: docs.ca.caFile });
    const untrusting = await serve('untrusting', {});
    try {
      const accepted = await authorize(trusting.url);
      expect(accepted.status).toBe(302);
      expect(new URL(accepted.headers.get('location')!, trusting.url).pathname).toBe('/login');
      const refused = await authorize(untrusting.url);
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain('could not be fetched');
      // The log line is written after the page is sent: wait for it rather than read at once.
      await untrusting.bin.waitFor(
        /client metadata document refused.*UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_VERIFY_LEAF_SIGNATURE.*client metadata document refused/,
      );
    } finally {
      for (const { bin } of [trusting, untrusting]) {
        bin.child.kill('SIGTERM');
        await new Promise((resolve) => bin.child.once('exit', resolve));
      }
    }
  }, 90_000);
});
