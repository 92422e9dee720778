import { describe, expect, it } from 'vitest';
import { newId, sha256 } from '../../../src/crypto.ts';
import type { Contract } from '../contract.ts';

/** 006: client keys and flags, pushed requests, one-time values, leaked secrets. */
export function modernOAuthContract({ store, clock, tenant }: Contract): void {
  describe('modern OAuth (006)', () => {
    it('round-trips a client registered with keys and flags', async () => {
      const { orgId } = await tenant();
      const jwks = { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k1' }] };
      const created = await store().clients.create({
        id: newId(),
        orgId,
        name: 'Keys',
        redirectUris: [],
        grantTypes: ['client_credentials'],
        scopes: [],
        isPublic: false,
        pkceOptional: false,
        createdBy: null,
        jwks,
        requirePar: true,
        requireDpop: true,
      });
      const found = await store().clients.find(created.id);
      expect(found).toEqual(created);
      expect(found).toMatchObject({ jwks, jwksUri: null, requirePar: true, requireDpop: true });
    });

    it('round-trips the resource and DPoP key of codes and refresh tokens, in and out of a transaction', async () => {
      const { orgId, userId, clientId } = await tenant();
      const grant = await store().grants.create({ clientId, userId, orgId, scope: 'read' }, clock());
      const now = clock();
      const code = {
        codeHash: sha256(newId()),
        clientId,
        grantId: grant.id,
        userId,
        orgId,
        redirectUri: 'https://app.example/cb',
        redirectUriSent: true,
        scope: 'read',
        codeChallenge: null,
        expiresAt: now + 60_000,
        createdAt: now,
        resource: 'https://api.example/',
      };
      await store().codes.create(code);
      expect(await store().codes.find(code.codeHash)).toEqual({ ...code, consumedAt: null });
      const token = (familyId: string) => ({
        tokenHash: sha256(newId()),
        familyId,
        clientId,
        grantId: grant.id,
        userId,
        orgId,
        scope: 'read',
        createdAt: now,
        expiresAt: now + 60_000,
        familyExpiresAt: now + 120_000,
        resource: 'https://api.example/',
        dpopJkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
      });
      const outside = token(newId());
      const inside = token(newId());
      await store().refreshTokens.create(outside);
      await store().transaction((tx) => tx.refreshTokens.create(inside));
      for (const t of [outside, inside]) {
        expect(await store().refreshTokens.find(t.tokenHash)).toEqual({
          ...t,
          consumedAt: null,
          revokedAt: null,
        });
        expect(await store().transaction((tx) => tx.refreshTokens.find(t.tokenHash))).toEqual({
          ...t,
          consumedAt: null,
          revokedAt: null,
        });
      }
    });

    it('takes a pushed request once, and not after it expired', async () => {
      const { clientId } = await tenant();
      const now = clock();
      const request = {
        uriHash: sha256(newId()),
        clientId,
        params: { response_type: 'code' },
        expiresAt: now + 60_000,
      };
      await store().pushedRequests.create(request);
      expect(await store().pushedRequests.take(request.uriHash, now)).toEqual(request);
      expect(await store().pushedRequests.take(request.uriHash, now)).toBeUndefined();
      const late = { ...request, uriHash: sha256(newId()) };
      await store().pushedRequests.create(late);
      expect(await store().pushedRequests.take(late.uriHash, now + 60_000)).toBeUndefined();
    });

    it('remembers a one-time value once until it expires', async () => {
      const key = `jti:${newId()}`;
      const now = clock();
      expect(await store().seenValues.remember(key, now + 1000, now)).toBe(true);
      expect(await store().seenValues.remember(key, now + 1000, now)).toBe(false);
      expect(await store().seenValues.has(key, now)).toBe(true);
      expect(await store().seenValues.has(key, now + 1000)).toBe(false);
      // Expired: the same value may be recorded again.
      expect(await store().seenValues.remember(key, now + 5000, now + 1000)).toBe(true);
      await store().seenValues.prune(now + 10_000);
      expect(await store().seenValues.has(key, now)).toBe(false);
    });

    it('finds a secret by hash and marks it leaked, keeping an earlier expiry', async () => {
      const { clientId, orgId } = await tenant();
      const id = newId();
      const hash = sha256(newId());
      await store().clients.addSecret({
        id,
        clientId,
        secretHash: hash,
        hint: 'abcd',
        createdAt: clock(),
        expiresAt: null,
        createdBy: null,
      });
      expect(await store().leakedSecrets.findByHash(hash)).toEqual({ id, clientId, orgId, expiresAt: null });
      await store().leakedSecrets.markLeaked(id, clock(), clock() + 60_000);
      await store().leakedSecrets.markLeaked(id, clock() + 1, clock() + 120_000);
      const secret = (await store().clients.secrets(clientId)).find((s) => s.id === id);
      expect(secret).toMatchObject({ leakedAt: clock(), expiresAt: clock() + 60_000 });
      expect(await store().leakedSecrets.findByHash(sha256('unknown'))).toBeUndefined();
    });
  });
}
