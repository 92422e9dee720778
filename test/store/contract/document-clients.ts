import { describe, expect, it } from 'vitest';
import { newId } from '../../../src/crypto.ts';
import type { DocumentClient } from '../../../src/oauth/model/clients.ts';
import type { Contract } from '../contract.ts';

/** Clients stored from their metadata document (draft-ietf-oauth-client-id-metadata-document). */
export function documentClientsContract({ store, clock, tenant }: Contract): void {
  const described = (overrides: Partial<DocumentClient> = {}): DocumentClient => ({
    id: `https://agent.example/${newId()}.json`,
    name: 'Agent',
    redirectUris: ['http://127.0.0.1:33418/callback'],
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: ['invoices:read'],
    isPublic: true,
    jwks: null,
    jwksUri: null,
    softwareMetadata: { client_uri: 'https://agent.example/' },
    ...overrides,
  });

  describe('clients from metadata documents', () => {
    it('stores one with no organization, then replaces its registration and expiry', async () => {
      const doc = described();
      const first = await store().clients.saveDocumentClient(doc, clock() + 300_000);
      expect(first.changed).toBe(true);
      expect(first.client).toMatchObject({
        ...doc,
        orgId: null,
        origin: 'metadata_document',
        createdBy: null,
        blockedAt: null,
        pkceOptional: false,
        metadataExpiresAt: clock() + 300_000,
        createdAt: clock(),
      });
      expect(await store().clients.find(doc.id)).toEqual(first.client);

      clock.advance(1000);
      const same = await store().clients.saveDocumentClient(doc, clock() + 600_000);
      expect(same.changed).toBe(false);
      expect(same.client).toMatchObject({ metadataExpiresAt: clock() + 600_000, updatedAt: clock() - 1000 });

      const renamed = await store().clients.saveDocumentClient(
        { ...doc, name: 'Agent 2' },
        clock() + 300_000,
      );
      expect(renamed.changed).toBe(true);
      expect(renamed.client).toMatchObject({
        name: 'Agent 2',
        updatedAt: clock(),
        createdAt: clock() - 1000,
      });
    });

    it('never clears blocked_at', async () => {
      const doc = described();
      await store().clients.saveDocumentClient(doc, clock() + 300_000);
      const at = clock();
      await store().clients.block(doc.id, at);
      const saved = await store().clients.saveDocumentClient(
        { ...doc, name: 'Unblock me' },
        clock() + 300_000,
      );
      expect(saved.client.blockedAt).toBe(at);
      expect((await store().clients.find(doc.id))!.blockedAt).toBe(at);
    });

    it('never turns a client of another origin into a document client', async () => {
      const t = await tenant();
      const before = await store().clients.find(t.clientId);
      const saved = await store().clients.saveDocumentClient(
        described({ id: t.clientId }),
        clock() + 300_000,
      );
      expect(saved).toEqual({ client: before, changed: false });
      expect(await store().clients.find(t.clientId)).toEqual(before);
    });
  });
}
