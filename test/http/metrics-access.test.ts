import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { type Latchkey, startLatchkey } from '../helpers/latchkey.ts';

// Issue 28 item 9: /metrics tells routes, volumes and versions: by default only loopback reads it,
// plus the blocks in LATCHKEY_METRICS_ALLOW; who the caller is, LATCHKEY_TRUST_PROXY decides.
const scrape = (lk: Latchkey, forwardedFor?: string) =>
  fetch(`${lk.issuer}/metrics`, { headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} });

describe('/metrics behind a proxy (LATCHKEY_TRUST_PROXY), nothing allowed besides loopback', () => {
  let lk: Latchkey;
  beforeAll(async () => {
    lk = await startLatchkey({ env: { LATCHKEY_TRUST_PROXY: 'true' } });
  });
  afterAll(() => lk.close());

  it('refuses a caller the proxy names outside, answers loopback', async () => {
    const outside = await scrape(lk, '203.0.113.9');
    expect(outside.status).toBe(403);
    expect(await outside.text()).not.toContain('latchkey_');
    expect((await scrape(lk, '2001:db8::5')).status).toBe(403);
    const local = await scrape(lk);
    expect(local.status).toBe(200);
    expect(await local.text()).toContain('latchkey_http_request_duration_seconds');
  });
});

describe('/metrics with LATCHKEY_METRICS_ALLOW', () => {
  let lk: Latchkey;
  beforeAll(async () => {
    lk = await startLatchkey({
      env: { LATCHKEY_TRUST_PROXY: '127.0.0.1', LATCHKEY_METRICS_ALLOW: '203.0.113.0/24, 2001:db8::/32' },
    });
  });
  afterAll(() => lk.close());

  it('answers the listed blocks and nobody else', async () => {
    expect((await scrape(lk, '203.0.113.9')).status).toBe(200);
    expect((await scrape(lk, '2001:db8::5')).status).toBe(200);
    expect((await scrape(lk, '198.51.100.7')).status).toBe(403);
    expect((await scrape(lk, '203.0.114.1')).status).toBe(403);
  });
});

describe('/metrics without a trusted proxy', () => {
  let lk: Latchkey;
  beforeAll(async () => {
    lk = await startLatchkey({ env: { LATCHKEY_METRICS_ALLOW: '10.0.0.0/8' } });
  });
  afterAll(() => lk.close());

  it('judges the connection, not a header anyone can send', async () => {
    // From loopback: allowed, whatever X-Forwarded-For claims.
    expect((await scrape(lk, '198.51.100.7')).status).toBe(200);
  });
});

describe('LATCHKEY_METRICS_ALLOW', () => {
  it('takes addresses and CIDRs, and names itself when one is wrong', () => {
    expect(loadConfig({ LATCHKEY_METRICS_ALLOW: '10.0.0.0/8,::1, 192.0.2.7' }).metricsAllow).toEqual([
      { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
      { address: '::1', prefix: 128, family: 'ipv6' },
      { address: '192.0.2.7', prefix: 32, family: 'ipv4' },
    ]);
    for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0.0/8/1', '10.0.0.0/', '::/129']) {
      expect(() => loadConfig({ LATCHKEY_METRICS_ALLOW: bad })).toThrow(/^LATCHKEY_METRICS_ALLOW: /);
    }
  });
});
