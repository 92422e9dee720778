/**
 * The outbox's secret fields (an invitation link: a bearer secret) at rest: encrypted, so a copy of the
 * database (a backup, a read replica, a leaked dump) holds no usable link, as the invitations table
 * holds only its hash. The key comes from LATCHKEY_WEBHOOK_SECRET, which the delivering server must
 * have anyway to sign; a process without it cannot seal and stores nothing (src/store/outbox.ts).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** The key that seals secret fields: HKDF-SHA256 of the Standard Webhooks key, for this use only. */
export function outboxSealKey(webhookSecret: string): Buffer {
  const secret = Buffer.from(webhookSecret.replace(/^whsec_/, ''), 'base64');
  return Buffer.from(
    hkdfSync('sha256', secret, Buffer.alloc(0), 'latchkey webhook outbox sealed fields', 32),
  );
}

/** AES-256-GCM, bound to the message id (AAD): a sealed value moved to another row does not open. */
export function seal(key: Buffer, id: string, fields: Record<string, string>): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(id));
  const text = Buffer.concat([cipher.update(JSON.stringify(fields), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, text, cipher.getAuthTag()]).toString('base64url');
}

/** The fields, or undefined without a key or when they were sealed under another (the secret changed). */
export function unseal(
  key: Buffer | undefined,
  id: string,
  sealed: string,
): Record<string, string> | undefined {
  if (!key) return undefined;
  try {
    const bytes = Buffer.from(sealed, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12)).setAAD(Buffer.from(id));
    decipher.setAuthTag(bytes.subarray(-16));
    const text = Buffer.concat([decipher.update(bytes.subarray(12, -16)), decipher.final()]);
    return JSON.parse(text.toString('utf8'));
  } catch {
    return undefined;
  }
}
