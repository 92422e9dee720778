/**
 * How each kind of value in the environment is read (zod schemas for ./index.ts): limits, catalogs
 * inline or from a file, keys, host and address lists, modes. Each refusal says what was expected.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';

export type ScopeCatalog = Record<string, string>;

const duration = /^(\d+)\s*\/\s*(second|minute|hour)$/;
const windowMs = { second: 1_000, minute: 60_000, hour: 3_600_000 } as const;

export const rateLimit = z.string().transform((value, ctx) => {
  const match = duration.exec(value.trim());
  if (!match || Number(match[1]) < 1) {
    ctx.addIssue({
      code: 'custom',
      message: `expected COUNT/second|minute|hour, e.g. 60/minute, got "${value}"`,
    });
    return z.NEVER;
  }
  return { limit: Number(match[1]), windowMs: windowMs[match[2] as keyof typeof windowMs] };
});

const scopeCatalog = z.record(
  z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'scope names are RFC 6749 §3.3 scope-tokens'),
  z.string().min(1),
);

export const scopes = z.string().transform((value, ctx): ScopeCatalog => {
  try {
    const text = value.trim().startsWith('{') ? value : readFileSync(value, 'utf8');
    return scopeCatalog.parse(JSON.parse(text));
  } catch (error) {
    ctx.addIssue({
      code: 'custom',
      message: `expected inline JSON or a JSON file of {"scope": "description"}: ${(error as Error).message.split('\n')[0]}`,
    });
    return z.NEVER;
  }
});

/** RFC 8707 resource indicators: resource URI → the scopes a token for it may carry. */
export type ResourceCatalog = Record<string, { scopes: string[] }>;

const resourceCatalog = z.record(
  z.url().refine((uri) => !uri.includes('#'), 'a resource URI has no fragment (RFC 8707 §2)'),
  z.object({ scopes: z.array(z.string().min(1)) }).strict(),
);

export const resources = z.string().transform((value, ctx): ResourceCatalog => {
  try {
    const text = value.trim().startsWith('{') ? value : readFileSync(value, 'utf8');
    return resourceCatalog.parse(JSON.parse(text));
  } catch (error) {
    ctx.addIssue({
      code: 'custom',
      message: `expected inline JSON or a JSON file of {"https://api.example": {"scopes": [...]}}: ${(error as Error).message.split('\n')[0]}`,
    });
    return z.NEVER;
  }
});

/** A secret scanner's public key: PEM text or a public JWK, with the identifier it signs under. */
export interface ScanningKey {
  id: string | undefined;
  key: string | Record<string, unknown>;
}

/**
 * LATCHKEY_SECRET_SCANNING_KEYS: inline or a file; GitHub's key document
 * (`{"public_keys":[{"key_identifier","key"}]}`), a JWK set, or one PEM public key.
 */
export const scanningKeys = z.string().transform((value, ctx): ScanningKey[] => {
  try {
    const inline = /^\s*(\{|-----BEGIN)/.test(value);
    const text = inline ? value : readFileSync(value, 'utf8');
    if (text.trim().startsWith('-----BEGIN')) return [{ id: undefined, key: text.trim() }];
    const doc = JSON.parse(text) as {
      public_keys?: { key_identifier: string; key: string }[];
      keys?: Record<string, unknown>[];
    };
    if (Array.isArray(doc.public_keys))
      return doc.public_keys.map((k) => ({ id: k.key_identifier, key: k.key }));
    if (Array.isArray(doc.keys)) return doc.keys.map((k) => ({ id: k.kid as string | undefined, key: k }));
    throw new Error('neither public_keys nor keys');
  } catch (error) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a PEM public key, a JWK set, or GitHub's {"public_keys": [...]}: ${(error as Error).message.split('\n')[0]}`,
    });
    return z.NEVER;
  }
});

/** Comma-separated host names or addresses, and `*.example.com` patterns (src/net/public-address.ts). */
export const hostList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter((h) => h !== ''),
  )
  .pipe(
    z.array(
      z.string().regex(/^(\*\.)?[a-z0-9.:_-]+$/, 'use host names, addresses or *.example.com patterns'),
    ),
  );

/** An address block: an IP address, or one with a prefix length (CIDR, e.g. 10.0.0.0/8). */
export interface AddressBlock {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

export const addressBlocks = z.string().transform((value, ctx): AddressBlock[] => {
  const blocks: AddressBlock[] = [];
  for (const item of value.split(',')) {
    const [address = '', prefix, extra] = item.trim().split('/');
    const version = isIP(address);
    const bits = version === 6 ? 128 : 32;
    const length = prefix === undefined ? bits : Number(prefix);
    if (!version || extra !== undefined || !/^\d{1,3}$/.test(prefix ?? '0') || length > bits) {
      ctx.addIssue({
        code: 'custom',
        message: `expected addresses or CIDRs separated by commas, got "${item.trim()}"`,
      });
      return z.NEVER;
    }
    blocks.push({ address, prefix: length, family: version === 6 ? 'ipv6' : 'ipv4' });
  }
  return blocks;
});

/**
 * RFC 7591 dynamic client registration: `off` (no endpoint), `token` (an initial access token made
 * with `latchkey registration-token create`), `open` (anyone, limited per address).
 */
export const dynamicRegistrationModes = ['off', 'token', 'open'] as const;
export type DynamicRegistration = (typeof dynamicRegistrationModes)[number];

export const positiveInt = z.coerce.number().int().positive();
export const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
