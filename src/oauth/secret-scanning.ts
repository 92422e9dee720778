/**
 * Leaked-secret intake in the format of GitHub's secret-scanning partner programme: the scanner
 * POSTs `[{"token","type","url","source"}]`, signed (ECDSA P-256 SHA-256, DER, base64) with the key
 * named in `Github-Public-Key-Identifier`. A Latchkey secret of this environment that exists is a
 * true positive: it stops working after LATCHKEY_LEAKED_SECRET_GRACE seconds, is marked leaked
 * (the console shows it) and audited.
 */
import { createPublicKey, type JsonWebKey, verify } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Config } from '../config/index.ts';
import { sha256 } from '../crypto.ts';
import { OAuthError } from './errors.ts';
import type { ClientChangeNotices, Log, SecretScanningStorage } from './ports.ts';
import { hashSecret, inspectSecret } from './secrets.ts';

export interface SecretScanningDeps {
  readonly store: SecretScanningStorage;
  /** Drops cached copies of the client at every instance. */
  readonly notices: ClientChangeNotices;
  readonly config: Pick<Config, 'secretScanningKeys' | 'leakedSecretGrace' | 'environment'>;
  readonly clock: Clock;
  readonly log: Pick<Log, 'warn'>;
}

export interface LeakLabel {
  token_hash: string;
  token_type: string;
  label: 'true_positive' | 'false_positive';
}

const refused = (description: string) => new OAuthError('invalid_request', description, { status: 401 });

/** Checks the scanner's signature over the body exactly as received. */
export function verifyScanningSignature(
  body: string,
  keyId: string | undefined,
  signature: string | undefined,
  config: Pick<Config, 'secretScanningKeys'>,
): void {
  if (config.secretScanningKeys.length === 0) {
    throw new OAuthError('invalid_request', 'Secret scanning is not configured here', { status: 404 });
  }
  if (!keyId || !signature)
    throw refused('Missing Github-Public-Key-Identifier or Github-Public-Key-Signature');
  const candidates = config.secretScanningKeys.filter((k) => k.id === undefined || k.id === keyId);
  const signed = Buffer.from(body, 'utf8');
  const sig = Buffer.from(signature, 'base64');
  for (const { key } of candidates) {
    try {
      const publicKey =
        typeof key === 'string'
          ? createPublicKey(key)
          : createPublicKey({ key: key as JsonWebKey, format: 'jwk' });
      if (verify('sha256', signed, publicKey, sig)) return;
    } catch {
      // A malformed signature or key: try the next key.
    }
  }
  throw refused('The signature does not verify with the configured secret-scanning keys');
}

/** Labels each reported token and revokes the true positives. */
export async function receiveLeakReport(body: string, s: SecretScanningDeps): Promise<LeakLabel[]> {
  let items: unknown;
  try {
    items = JSON.parse(body);
  } catch {
    throw new OAuthError('invalid_request', 'The body must be a JSON array');
  }
  if (!Array.isArray(items) || items.length > 1000) {
    throw new OAuthError('invalid_request', 'The body must be a JSON array of at most 1000 reports');
  }
  const labels: LeakLabel[] = [];
  for (const item of items as Record<string, unknown>[]) {
    const token = item?.token;
    if (typeof token !== 'string') throw new OAuthError('invalid_request', 'Every report needs a token');
    const tokenType = typeof item.type === 'string' ? item.type : 'latchkey_client_secret';
    const leaked = await revokeIfOurs(token, item, s);
    labels.push({
      token_hash: sha256(token),
      token_type: tokenType,
      label: leaked ? 'true_positive' : 'false_positive',
    });
  }
  return labels;
}

async function revokeIfOurs(
  token: string,
  item: Record<string, unknown>,
  s: SecretScanningDeps,
): Promise<boolean> {
  const shape = inspectSecret(token);
  // Another environment's secret lives in another deployment, which gets its own report.
  if (!shape.ok || shape.environment !== s.config.environment) return false;
  const secret = await s.store.leakedSecrets.findByHash(hashSecret(token));
  if (!secret) return false;
  const now = s.clock();
  const expiresAt = now + s.config.leakedSecretGrace * 1000;
  const where = { url: String(item.url ?? ''), source: String(item.source ?? '') };
  s.log.warn({ client_id: secret.clientId, secret_id: secret.id, ...where }, 'client secret reported leaked');
  await s.store.transaction(async (tx) => {
    await tx.leakedSecrets.markLeaked(secret.id, now, expiresAt);
    await tx.audit.record({
      orgId: secret.orgId,
      actor: 'secret-scanning',
      clientId: secret.clientId,
      action: 'client.secret_leaked',
      detail: { secretId: secret.id, graceSeconds: s.config.leakedSecretGrace, ...where },
    });
    await tx.outbox.add('client.secret_leaked', {
      client_id: secret.clientId,
      organization_id: secret.orgId,
      secret_id: secret.id,
      expires_at: new Date(Math.min(expiresAt, secret.expiresAt ?? expiresAt)).toISOString(),
      ...where,
    });
  });
  await s.notices.publish('client', secret.clientId);
  return true;
}
