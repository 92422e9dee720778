import { Webhook } from 'standardwebhooks';
import { z } from 'zod';

import {
  type AddressBlock,
  addressBlocks,
  bool,
  type DynamicRegistration,
  dynamicRegistrationModes,
  hostList,
  positiveInt,
  type ResourceCatalog,
  rateLimit,
  resources,
  type ScanningKey,
  type ScopeCatalog,
  scanningKeys,
  scopes,
} from './values.ts';

export type {
  AddressBlock,
  DynamicRegistration,
  ResourceCatalog,
  ScanningKey,
  ScopeCatalog,
} from './values.ts';

/** Raised for bad configuration; the message is one line that names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The demo catalog: what the consent page shows when the operator has not configured scopes. */
export const demoScopes: ScopeCatalog = {
  'profile:read': 'See your name and email address',
  'invoices:read': 'Read invoices and their attachments',
  'invoices:write': 'Create and update invoices',
  'payments:read': 'Read payments and their status',
};

/**
 * OpenID Connect Core §5.4: the scopes that ask who the person is. Always in the catalog, before the
 * operator's scopes (LATCHKEY_SCOPES may reword them); the consent page sums them up in one line.
 */
export const openIdScopes: ScopeCatalog = {
  openid: 'Learn who you are (your account ID and the organization you choose)',
  profile: 'Learn your name',
  email: 'Learn your email address',
};

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  LATCHKEY_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  LATCHKEY_DATABASE: z.string().min(1).default('./data/latchkey.sqlite'),
  LATCHKEY_REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  LATCHKEY_REDIS_PREFIX: z
    .string()
    .regex(/^[\x21-\x7e]{1,64}$/, 'up to 64 printable characters without spaces, e.g. latchkey:stage:')
    .optional(),
  LATCHKEY_ENVIRONMENT: z
    .string()
    .regex(/^[a-z][a-z0-9]{0,15}$/, 'use a short lower-case label such as development, stage, production')
    .default('development'),
  LATCHKEY_ACCESS_TOKEN_TTL: positiveInt.max(86_400).default(3600),
  LATCHKEY_REFRESH_TOKEN_IDLE_TTL: positiveInt.default(30 * 86_400),
  LATCHKEY_REFRESH_TOKEN_ABSOLUTE_TTL: positiveInt.default(90 * 86_400),
  LATCHKEY_SESSION_TTL: positiveInt.default(8 * 3600),
  LATCHKEY_TOKEN_RATE_LIMIT: rateLimit.default({ limit: 60, windowMs: 60_000 }),
  LATCHKEY_SCOPES: scopes.optional(),
  LATCHKEY_REQUIRE_PKCE: bool.default(true),
  LATCHKEY_AUDIENCE: z.string().min(1).optional(),
  LATCHKEY_RESOURCES: resources.optional(),
  LATCHKEY_DPOP_NONCE: bool.default(false),
  LATCHKEY_SECRET_SCANNING_KEYS: scanningKeys.optional(),
  LATCHKEY_LEAKED_SECRET_GRACE: z.coerce.number().int().min(0).default(0),
  LATCHKEY_TRUST_PROXY: z
    .string()
    .regex(
      /^(true|false|\d+|[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*)$/,
      'use true, false, a hop count, or proxy addresses/CIDRs separated by commas',
    )
    .default('false'),
  LATCHKEY_METRICS_ALLOW: addressBlocks.optional(),
  LATCHKEY_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  // Standard Webhooks: "whsec_" and the base64 of a 24 to 64 byte key.
  LATCHKEY_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'expected whsec_ followed by a base64 key')
    .refine((v) => {
      const bytes = Buffer.from(v.slice(6), 'base64').length;
      return bytes >= 24 && bytes <= 64;
    }, 'the key after whsec_ must be 24 to 64 bytes, base64')
    .optional(),
  LATCHKEY_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Sign-in through the platform's OpenID provider (see loginOidc below).
  LATCHKEY_LOGIN_OIDC_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  LATCHKEY_LOGIN_OIDC_CLIENT_ID: z.string().min(1).optional(),
  LATCHKEY_LOGIN_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  LATCHKEY_LOGIN_OIDC_ORGS_CLAIM: z
    .string()
    .regex(/^[A-Za-z0-9_.:/-]+$/, 'a claim name')
    .optional(),
  LATCHKEY_PASSWORD_LOGIN: bool.optional(),
  LATCHKEY_JWKS_URI_ALLOWED_HOSTS: hostList.default([]),
  LATCHKEY_DYNAMIC_REGISTRATION: z
    .enum(dynamicRegistrationModes, {
      error: (issue) => `expected off, token or open, got "${String(issue.input)}"`,
    })
    .default('off'),
  LATCHKEY_CLIENT_METADATA_DOCUMENTS: bool.default(false),
  LATCHKEY_CLIENT_METADATA_ALLOWED_HOSTS: hostList.default([]),
});

/** Every environment variable Latchkey reads; README.md and docs/deploy.md list exactly these (test/docs). */
export const variableNames: readonly string[] = Object.keys(schema.shape);

export interface Config {
  port: number;
  host: string;
  /** RFC 8414 §2: the issuer identifier, no trailing slash. */
  issuer: string;
  /**
   * The issuer's path, '' at the root, e.g. '/auth' for https://platform.example/auth: every route,
   * page and cookie lives under it (src/http/urls.ts builds the URLs pages name).
   */
  basePath: string;
  /** The `aud` of access tokens: the platform API they are meant for. */
  audience: string;
  database: string;
  redisUrl: string | undefined;
  /** Starts every Redis key and channel, so environments sharing a Redis never meet (`latchkey:{environment}:`). */
  redisPrefix: string;
  environment: string;
  accessTokenTtl: number;
  refreshTokenIdleTtl: number;
  refreshTokenAbsoluteTtl: number;
  sessionTtl: number;
  /** Authorization codes live 60 s (DESIGN.md; RFC 6749 §4.1.2 recommends at most 10 minutes). */
  codeTtl: number;
  tokenRateLimit: { limit: number; windowMs: number };
  scopes: ScopeCatalog;
  requirePkce: boolean;
  /** RFC 8707: the resources a token may be asked for; `aud` is the default audience otherwise. */
  resources: ResourceCatalog;
  /** RFC 9449 §8: DPoP proofs at the token endpoint must carry a nonce the server handed out. */
  dpopNonce: boolean;
  /** Keys a secret scanner signs leak reports with; none: POST /security/secret-scanning is off. */
  secretScanningKeys: ScanningKey[];
  /** Seconds a reported secret keeps working, so the owner can switch over (default 0). */
  leakedSecretGrace: number;
  logLevel: string;
  /** Fastify's trustProxy: whose X-Forwarded-For to believe for the client address (rate limits). */
  trustProxy: boolean | number | string[];
  /** Who may read /metrics besides loopback (the caller's address as LATCHKEY_TRUST_PROXY decides it). */
  metricsAllow: AddressBlock[];
  /** Where Standard Webhooks events go, signed with `secret`; undefined: no webhooks. */
  webhook: { url: string; secret: string } | undefined;
  /** The platform's OpenID provider people sign in with, when set. */
  loginOidc: LoginOidcConfig | undefined;
  /** Email + password sign-in: on unless an OpenID provider is set (then LATCHKEY_PASSWORD_LOGIN=true). */
  passwordLogin: boolean;
  /** Hosts a client's `jwks_uri` may name although they are not public (or use http): tests, a lab. */
  jwksUriAllowedHosts: readonly string[];
  /** Who may register clients at POST /oauth/register (RFC 7591): nobody, holders of a token, anyone. */
  dynamicRegistration: DynamicRegistration;
  /** Client ID Metadata Documents: an https `client_id` URL is fetched for its registration. */
  clientMetadataDocuments: boolean;
  /**
   * When not empty, the only hosts metadata documents are fetched from, and exempt from the
   * public-address check (a lab, a test on loopback).
   */
  clientMetadataAllowedHosts: readonly string[];
}

export interface LoginOidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The claim (ID token or userinfo) listing the person's organizations and roles. */
  orgsClaim: string | undefined;
}

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

function loginOidcConfig(c: z.infer<typeof schema>): LoginOidcConfig | undefined {
  const { LATCHKEY_LOGIN_OIDC_ISSUER: issuer, LATCHKEY_LOGIN_OIDC_CLIENT_ID: clientId } = c;
  const clientSecret = c.LATCHKEY_LOGIN_OIDC_CLIENT_SECRET;
  if (!issuer && !clientId && !clientSecret) {
    if (c.LATCHKEY_LOGIN_OIDC_ORGS_CLAIM)
      throw new ConfigError('LATCHKEY_LOGIN_OIDC_ORGS_CLAIM: set LATCHKEY_LOGIN_OIDC_ISSUER too');
    return undefined;
  }
  const missing = [
    ['LATCHKEY_LOGIN_OIDC_ISSUER', issuer],
    ['LATCHKEY_LOGIN_OIDC_CLIENT_ID', clientId],
    ['LATCHKEY_LOGIN_OIDC_CLIENT_SECRET', clientSecret],
  ].find(([, value]) => !value);
  if (missing) throw new ConfigError(`${missing[0]}: required when signing in through an OpenID provider`);
  const url = new URL(issuer!);
  // Tokens and the client secret travel to the provider: TLS, except on this machine (tests, dev).
  if (url.protocol !== 'https:' && !loopbackHosts.has(url.hostname)) {
    throw new ConfigError('LATCHKEY_LOGIN_OIDC_ISSUER: must be https (http only for localhost)');
  }
  return {
    issuer: issuer!,
    clientId: clientId!,
    clientSecret: clientSecret!,
    orgsClaim: c.LATCHKEY_LOGIN_OIDC_ORGS_CLAIM,
  };
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${String(issue.path[0])}: ${issue.message}`);
  }
  const c = parsed.data;
  const issuer = c.LATCHKEY_ISSUER ?? `http://localhost:${c.PORT}`;
  const loginOidc = loginOidcConfig(c);
  if (c.LATCHKEY_PASSWORD_LOGIN === false && !loginOidc) {
    throw new ConfigError('LATCHKEY_PASSWORD_LOGIN: nobody could sign in; set LATCHKEY_LOGIN_OIDC_* first');
  }
  const issuerUrl = new URL(issuer);
  if (issuerUrl.search || issuerUrl.hash) {
    throw new ConfigError('LATCHKEY_ISSUER: must have no query or fragment (RFC 8414 §2)');
  }
  // The issuer is compared as an exact string by clients (RFC 8414 §3.3, RFC 9207): no silent rewriting.
  if (issuer.endsWith('/')) {
    throw new ConfigError(`LATCHKEY_ISSUER: remove the trailing slash ("${issuer.replace(/\/+$/, '')}")`);
  }
  if (c.LATCHKEY_REFRESH_TOKEN_ABSOLUTE_TTL < c.LATCHKEY_REFRESH_TOKEN_IDLE_TTL) {
    throw new ConfigError('LATCHKEY_REFRESH_TOKEN_ABSOLUTE_TTL: must not be shorter than the idle lifetime');
  }
  if (Boolean(c.LATCHKEY_WEBHOOK_URL) !== Boolean(c.LATCHKEY_WEBHOOK_SECRET)) {
    throw new ConfigError(
      c.LATCHKEY_WEBHOOK_URL
        ? 'LATCHKEY_WEBHOOK_SECRET: required with LATCHKEY_WEBHOOK_URL (whsec_…, the key receivers verify with)'
        : 'LATCHKEY_WEBHOOK_URL: required with LATCHKEY_WEBHOOK_SECRET',
    );
  }
  if (c.LATCHKEY_WEBHOOK_SECRET) new Webhook(c.LATCHKEY_WEBHOOK_SECRET); // the signer accepts it
  const scopeCatalog = c.LATCHKEY_SCOPES ?? demoScopes;
  for (const [resource, { scopes }] of Object.entries(c.LATCHKEY_RESOURCES ?? {})) {
    const unknown = scopes.find((scope) => !Object.hasOwn(scopeCatalog, scope));
    if (unknown)
      throw new ConfigError(
        `LATCHKEY_RESOURCES: ${resource} lists "${unknown}", which is not in the scope catalog`,
      );
  }
  return {
    port: c.PORT,
    host: c.HOST,
    issuer,
    basePath: issuerUrl.pathname === '/' ? '' : issuerUrl.pathname,
    audience: c.LATCHKEY_AUDIENCE ?? issuer,
    database: c.LATCHKEY_DATABASE,
    redisUrl: c.LATCHKEY_REDIS_URL,
    redisPrefix: c.LATCHKEY_REDIS_PREFIX ?? `latchkey:${c.LATCHKEY_ENVIRONMENT}:`,
    environment: c.LATCHKEY_ENVIRONMENT,
    accessTokenTtl: c.LATCHKEY_ACCESS_TOKEN_TTL,
    refreshTokenIdleTtl: c.LATCHKEY_REFRESH_TOKEN_IDLE_TTL,
    refreshTokenAbsoluteTtl: c.LATCHKEY_REFRESH_TOKEN_ABSOLUTE_TTL,
    sessionTtl: c.LATCHKEY_SESSION_TTL,
    codeTtl: 60,
    tokenRateLimit: c.LATCHKEY_TOKEN_RATE_LIMIT,
    scopes: { ...openIdScopes, ...scopeCatalog },
    requirePkce: c.LATCHKEY_REQUIRE_PKCE,
    resources: c.LATCHKEY_RESOURCES ?? {},
    dpopNonce: c.LATCHKEY_DPOP_NONCE,
    secretScanningKeys: c.LATCHKEY_SECRET_SCANNING_KEYS ?? [],
    leakedSecretGrace: c.LATCHKEY_LEAKED_SECRET_GRACE,
    logLevel: c.LATCHKEY_LOG_LEVEL,
    trustProxy: parseTrustProxy(c.LATCHKEY_TRUST_PROXY),
    metricsAllow: c.LATCHKEY_METRICS_ALLOW ?? [],
    webhook:
      c.LATCHKEY_WEBHOOK_URL && c.LATCHKEY_WEBHOOK_SECRET
        ? { url: c.LATCHKEY_WEBHOOK_URL, secret: c.LATCHKEY_WEBHOOK_SECRET }
        : undefined,
    loginOidc,
    passwordLogin: c.LATCHKEY_PASSWORD_LOGIN ?? !loginOidc,
    jwksUriAllowedHosts: c.LATCHKEY_JWKS_URI_ALLOWED_HOSTS,
    dynamicRegistration: c.LATCHKEY_DYNAMIC_REGISTRATION,
    clientMetadataDocuments: c.LATCHKEY_CLIENT_METADATA_DOCUMENTS,
    clientMetadataAllowedHosts: c.LATCHKEY_CLIENT_METADATA_ALLOWED_HOSTS,
  };
}

function parseTrustProxy(value: string): boolean | number | string[] {
  if (value === 'true' || value === 'false') return value === 'true';
  // A bare number is a hop count (Fastify trustProxy), not an address.
  if (/^\d+$/.test(value)) return Number(value);
  return value.split(',').map((address) => address.trim());
}
