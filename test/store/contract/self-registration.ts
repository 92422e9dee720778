import { describe, expect, it } from 'vitest';
import { newId, sha256 } from '../../../src/crypto.ts';
import type { Contract } from '../contract.ts';

/** Dynamic registration's storage: clients found by their registration token's hash, initial access tokens. */
export function selfRegistrationContract({ store, clock }: Contract): void {
  describe('self-registered clients and initial access tokens', () => {
    it('finds a dynamic client of no organization by the hash of its registration access token', async () => {
      const tokenHash = sha256(newId());
      const created = await store().clients.create({
        id: newId(),
        orgId: null,
        origin: 'dynamic',
        name: 'Agent',
        redirectUris: ['http://127.0.0.1:9999/cb'],
        grantTypes: ['authorization_code'],
        scopes: [],
        isPublic: true,
        pkceOptional: false,
        createdBy: 'dynamic-registration',
        softwareMetadata: { software_id: 'a' },
        registrationTokenHash: tokenHash,
      });
      expect(created).not.toHaveProperty('registrationTokenHash');
      expect(await store().clients.findByRegistrationToken(tokenHash)).toEqual(created);
      expect(await store().clients.findByRegistrationToken(sha256(newId()))).toBeUndefined();
      await store().clients.delete(created.id);
      expect(await store().clients.findByRegistrationToken(tokenHash)).toBeUndefined();
    });

    it('keeps initial access tokens by hash, lists them newest first, revokes once', async () => {
      const first = {
        id: newId(),
        tokenHash: sha256(newId()),
        createdAt: clock(),
        expiresAt: clock() + 1000,
        createdBy: 'cli',
      };
      await store().initialAccessTokens.create(first);
      clock.advance(1);
      const second = { ...first, id: newId(), tokenHash: sha256(newId()), createdAt: clock() };
      await store().initialAccessTokens.create(second);
      const { tokenHash: _, ...stored } = first;
      expect(await store().initialAccessTokens.findByHash(first.tokenHash)).toEqual({
        ...stored,
        revokedAt: null,
      });
      expect(await store().initialAccessTokens.findByHash(sha256('nope'))).toBeUndefined();
      const ids = (await store().initialAccessTokens.list()).map((t) => t.id);
      expect(ids.indexOf(second.id)).toBeLessThan(ids.indexOf(first.id));

      const at = clock();
      expect(await store().initialAccessTokens.revoke(first.id, at)).toBe(true);
      clock.advance(5);
      expect(await store().initialAccessTokens.revoke(first.id, clock())).toBe(true);
      expect((await store().initialAccessTokens.findByHash(first.tokenHash))!.revokedAt).toBe(at);
      expect(await store().initialAccessTokens.revoke(newId(), clock())).toBe(false);
    });
  });
}
