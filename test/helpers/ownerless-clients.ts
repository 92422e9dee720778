import { newId } from '../../src/crypto.ts';
import type { ClientOrigin } from '../../src/oauth/model/clients.ts';
import { generateClientId, generateClientSecret } from '../../src/oauth/secrets.ts';
import type { Latchkey, TestClient } from './latchkey.ts';

/**
 * Software that registered itself, stored directly (as a metadata document or RFC 7591 registration
 * would leave it): no organization, code flow only. `public` (default): no secret, PKCE; otherwise a
 * confidential client with a secret. A metadata document client's id is its https URL.
 */
export async function createOwnerlessClient(
  lk: Latchkey,
  o: {
    name?: string;
    origin?: Exclude<ClientOrigin, 'console'>;
    public?: boolean;
    redirectUris?: string[];
    id?: string;
  } = {},
): Promise<TestClient> {
  const origin = o.origin ?? 'metadata_document';
  const isPublic = o.public ?? true;
  const id =
    o.id ?? (origin === 'metadata_document' ? `https://agent.example/${newId()}.json` : generateClientId());
  const s = lk.services;
  await s.store.clients.create({
    id,
    orgId: null,
    name: o.name ?? 'Helpful Agent',
    redirectUris: o.redirectUris ?? ['http://127.0.0.1:9999/callback'],
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: Object.keys(s.config.scopes).filter((scope) => !scope.startsWith('latchkey:')),
    isPublic,
    pkceOptional: false,
    createdBy: null,
    origin,
    softwareMetadata: { client_uri: 'https://agent.example', software_id: 'helpful-agent' },
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
