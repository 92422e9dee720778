import { createHmac } from 'node:crypto';

const b64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

export function parts(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header!, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(payload!, 'base64url').toString()),
  };
}

/** Replaces the payload but keeps the original signature: a tampered token. */
export function tamper(token: string, changes: Record<string, unknown>): string {
  const [header, , signature] = token.split('.');
  const payload = { ...parts(token).payload, ...changes };
  return `${header}.${b64url(JSON.stringify(payload))}.${signature}`;
}

/** RFC 7519 §6 unsecured JWT: `alg: none` and an empty signature. */
export function unsecured(token: string): string {
  const { header, payload } = parts(token);
  return `${b64url(JSON.stringify({ ...header, alg: 'none' }))}.${b64url(JSON.stringify(payload))}.`;
}

/** The classic confusion attack: HMAC-sign with the issuer's *public* key as the secret. */
export function hmacWithKey(token: string, secret: string): string {
  const { header, payload } = parts(token);
  const input = `${b64url(JSON.stringify({ ...header, alg: 'HS256' }))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}
