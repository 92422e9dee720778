import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { secret } from '../helpers/webhook-receiver.ts';

describe('LATCHKEY_WEBHOOK_URL and LATCHKEY_WEBHOOK_SECRET', () => {
  const url = 'https://platform.example/hooks';
  it('are off by default and on together', () => {
    expect(loadConfig({}).webhook).toBeUndefined();
    expect(loadConfig({ LATCHKEY_WEBHOOK_URL: url, LATCHKEY_WEBHOOK_SECRET: secret }).webhook).toEqual({
      url,
      secret,
    });
  });
  it('stop the start with one line naming the variable', () => {
    expect(() => loadConfig({ LATCHKEY_WEBHOOK_URL: url })).toThrow(/^LATCHKEY_WEBHOOK_SECRET: required/);
    expect(() => loadConfig({ LATCHKEY_WEBHOOK_SECRET: secret })).toThrow(/^LATCHKEY_WEBHOOK_URL: required/);
    expect(() => loadConfig({ LATCHKEY_WEBHOOK_URL: url, LATCHKEY_WEBHOOK_SECRET: 'hunter2' })).toThrow(
      /^LATCHKEY_WEBHOOK_SECRET: expected whsec_/,
    );
    expect(() =>
      loadConfig({ LATCHKEY_WEBHOOK_URL: url, LATCHKEY_WEBHOOK_SECRET: 'whsec_c2hvcnQ=' }),
    ).toThrow(/^LATCHKEY_WEBHOOK_SECRET: the key after whsec_ must be 24 to 64 bytes/);
    expect(() => loadConfig({ LATCHKEY_WEBHOOK_URL: 'ftp://x', LATCHKEY_WEBHOOK_SECRET: secret })).toThrow(
      /^LATCHKEY_WEBHOOK_URL:/,
    );
  });
});
