import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, requestToken, startLatchkey, type TestClient } from '../helpers/latchkey.ts';

// DESIGN.md /metrics: no label comes from the caller unchecked, or anyone could create time series.
let lk: Latchkey;
let client: TestClient;

const metrics = async (): Promise<string> => (await fetch(`${lk.issuer}/metrics`)).text();
const series = (text: string, name: string): string[] =>
  text.split('\n').filter((line) => line.startsWith(`${name}{`));

beforeAll(async () => {
  lk = await startLatchkey();
  client = await lk.createClient();
});
afterAll(() => lk.close());

describe('/metrics labels', () => {
  it('counts an unknown grant_type as "other", a known one by its name', async () => {
    for (const grant of ['made-up-1', 'made-up-2', 'x'.repeat(200)]) {
      const res = await requestToken(lk.issuer, client, { body: { grant_type: grant } });
      expect(res.status).toBe(400);
    }
    expect((await requestToken(lk.issuer, client)).status).toBe(200);
    const tokens = series(await metrics(), 'latchkey_token_requests_total');
    expect(tokens.join('\n')).not.toContain('made-up');
    expect(tokens).toContain(
      'latchkey_token_requests_total{grant_type="other",outcome="unsupported_grant_type"} 3',
    );
    expect(tokens).toContain(
      'latchkey_token_requests_total{grant_type="client_credentials",outcome="issued"} 1',
    );
  });

  it('labels requests by route pattern, never by the URL asked for', async () => {
    await fetch(`${lk.issuer}/no/such/path-${Date.now()}`);
    await fetch(`${lk.issuer}/settings/api/lkc_made_up_id_${Date.now()}`);
    await fetch(`${lk.issuer}/healthz?probe=${Date.now()}`);
    const text = await metrics();
    const routes = new Set(
      series(text, 'latchkey_http_request_duration_seconds_count').map((l) => /route="([^"]*)"/.exec(l)![1]),
    );
    for (const route of routes) expect(route, route).not.toMatch(/no\/such|made_up|probe/);
    expect(routes).toContain('/healthz');
    expect(routes).toContain('unmatched');
  });
});
