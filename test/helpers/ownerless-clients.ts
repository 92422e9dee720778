import { newId } from '../../src/crypto.ts';
import type { ClientOrigin } from '../../src/oauth/model/clients.ts';
import { generateClientId, generateClientSecret } from '../../src/oauth/secrets.ts';
import type { Latchkey, TestClient } from './latchkey.ts';

/**
 * Software that registered itself, stored as its registration would leave it: no organization, the
 * code flow only. `dynamic` (default, RFC 7591): an `lkc_` id, public (default, PKCE) or confidential
 * with a secret. `metadata_document`: the id is an https URL, stored as a fetched document is, fresh
 * for a day (no fetch happens); it is served only with LATCHKEY_CLIENT_METADATA_DOCUMENTS=true.
 * `orgId` is empty: it has no owner.
 */
export async function createOwnerlessClient(
  lk: Latchkey,
  o: {
    name?: string;
    origin?: Exclude<ClientOrigin, 'console'>;
    public?: boolean;
    redirectUris?: string[];
  } = {},
): Promise<TestClient> {
  const s = lk.services;
  const isPublic = o.public ?? true;
  const registration = {
    name: o.name ?? 'Helpful Agent',
    redirectUris: o.redirectUris ?? ['http://127.0.0.1:9999/callback'],
    grantTypes: ['authorization_code', 'refresh_token'] as const,
    scopes: Object.keys(s.config.scopes).filter((scope) => !scope.startsWith('latchkey:')),
    isPublic,
    softwareMetadata: { client_uri: 'https://agent.example', software_id: 'helpful-agent' },
  };
  if (o.origin === 'metadata_document') {
    if (!isPublic) throw new Error('a metadata document client without keys is public');
    const id = `https://agent.example/${newId()}.json`;
    await s.store.clients.saveDocumentClient(
      { id, ...registration, grantTypes: [...registration.grantTypes] },
      s.clock() + 86_400_000,
    );
    return { clientId: id, clientSecret: '', orgId: '' };
  }
  const id = generateClientId();
  await s.store.clients.create({
    id,
    orgId: null,
    ...registration,
    grantTypes: [...registration.grantTypes],
    pkceOptional: false,
    createdBy: null,
    origin: 'dynamic',
  });
  if (isPublic) return { clientId: id, clientSecret: '', orgId: '' };
  const secret = generateClientSecret(s.config.environment);
  await s.store.clients.addSecret({
    id: newId(),
    clientId: id,
    secretHash: secret.hash,
    hint: secret.hint,
    createdAt: s.clock(),
    expiresAt: null,
    createdBy: null,
  });
  return { clientId: id, clientSecret: secret.secret, orgId: '' };
}
