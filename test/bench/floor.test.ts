// The benchmark's floor row (bench/servers/fastify-signing.mjs) must do the work it stands for: one
// real ES256 JWT of Latchkey's shape per token request, for every token case, and nothing for the
// cases that need no signature. A floor that skipped the signature would flatter every ratio.
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseId } from '../../bench/harness/cases.ts';
import { startFastify } from '../../bench/harness/peers.ts';
import type { Target } from '../../bench/harness/target.ts';

let floor: Target;
beforeAll(async () => {
  floor = await startFastify(0, true);
});
afterAll(() => floor.close());

describe('the floor: Fastify + one ES256 signature', () => {
  it.each<CaseId>(['cc-basic-form', 'cc-post-json', 'code', 'refresh'])(
    'answers %s with a fresh ES256 access token',
    async (id) => {
      const plan = (await floor.plan(id, 1))!;
      const tokens: string[] = [];
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${floor.url}${plan.path}`, {
          method: plan.method,
          headers: plan.headers,
          body: plan.body ?? null,
        });
        expect(res.status).toBe(200);
        tokens.push(((await res.json()) as { access_token: string }).access_token);
      }
      for (const token of tokens) {
        expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
        // RFC 7518 §3.4: R || S, 64 bytes.
        expect(Buffer.from(token.split('.')[2]!, 'base64url')).toHaveLength(64);
        expect(decodeJwt(token)).toMatchObject({ scope: 'invoices:read', client_id: expect.any(String) });
      }
      expect(decodeJwt(tokens[0]!).jti).not.toBe(decodeJwt(tokens[1]!).jti);
      expect(tokens[0]!.split('.')[2]).not.toBe(tokens[1]!.split('.')[2]);
    },
  );

  it('takes no part in the cases without a signature', async () => {
    expect(await floor.plan('introspect', 1)).toBeUndefined();
    expect(await floor.plan('me', 1)).toBeUndefined();
  });
});
