import { describe, expect, it } from 'vitest';
import { startLatchkey } from '../helpers/latchkey.ts';

describe('/readyz', () => {
  it('is 503 once the store stops answering, while /healthz stays 200', async () => {
    const lk = await startLatchkey();
    try {
      expect((await fetch(`${lk.issuer}/readyz`)).status).toBe(200);
      await lk.services.store.close();
      const res = await fetch(`${lk.issuer}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'unavailable', reason: 'the store does not answer' });
      expect((await fetch(`${lk.issuer}/healthz`)).status).toBe(200);
    } finally {
      await lk.close().catch(() => {});
    }
  });
});
