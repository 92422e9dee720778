/**
 * JSON Schemas (2020-12) of the admin API. The routes validate with them and @fastify/swagger
 * publishes them as the OpenAPI 3.1 document: one source for both.
 */
const id = { type: 'string', minLength: 1, maxLength: 200 } as const;
const timestamp = { type: 'string', format: 'date-time' } as const;
const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;
const externalId = { type: ['string', 'null'], minLength: 1, maxLength: 200 } as const;
const obj = (properties: Record<string, unknown>, required: string[] = Object.keys(properties)) => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});

export const role = { type: 'string', enum: ['admin', 'developer', 'member'] } as const;
const grantType = {
  type: 'string',
  enum: ['authorization_code', 'refresh_token', 'client_credentials'],
} as const;

export const organization = obj({
  id,
  name: { type: 'string' },
  external_id: externalId,
  created_at: timestamp,
});
export const user = obj({
  id,
  email: { type: 'string' },
  name: { type: ['string', 'null'] },
  external_id: externalId,
  created_at: timestamp,
});
export const member = obj({ user_id: id, email: { type: 'string' }, role, created_at: timestamp });
/** RFC 7517 §5: a JWK set; only public keys are accepted (checked by the registration rules). */
export const jwks = {
  type: 'object',
  properties: {
    keys: {
      type: 'array',
      minItems: 1,
      maxItems: 20,
      items: {
        type: 'object',
        properties: { kty: { type: 'string', minLength: 1 } },
        required: ['kty'],
        additionalProperties: true,
      },
    },
  },
  required: ['keys'],
  additionalProperties: true,
} as const;
/** A client id: `lkc_…`, or the https URL of a Client ID Metadata Document (URL-encoded in paths). */
export const clientId = { type: 'string', minLength: 1, maxLength: 2000 } as const;
/** RFC 7591 §2 / RFC 9126 §6 / RFC 9449 §5.2 client metadata names. */
const clientProperties = {
  client_id: clientId,
  /** Null for software that registered itself (`origin` other than `console`). */
  organization_id: { type: ['string', 'null'], minLength: 1, maxLength: 200 },
  name: { type: 'string' },
  redirect_uris: { type: 'array', items: { type: 'string' } },
  grant_types: { type: 'array', items: grantType },
  scopes: { type: 'array', items: { type: 'string' } },
  public: { type: 'boolean' },
  token_endpoint_auth_method: {
    type: 'string',
    enum: ['client_secret_basic', 'private_key_jwt', 'none'],
  },
  jwks: { ...jwks, type: ['object', 'null'] },
  jwks_uri: { type: ['string', 'null'] },
  require_pushed_authorization_requests: { type: 'boolean' },
  dpop_bound_access_tokens: { type: 'boolean' },
  /** RP-Initiated Logout 1.0 §3.1: exact URLs a sign-out at /oauth/logout may return to. */
  post_logout_redirect_uris: { type: 'array', items: { type: 'string' } },
  origin: { type: 'string', enum: ['console', 'metadata_document', 'dynamic'] },
  /** When the operator blocked it (refused everywhere as invalid_client), or null. */
  blocked_at: nullableTimestamp,
  created_at: timestamp,
  updated_at: timestamp,
};
export const client = obj(clientProperties);
/** Creation answers the secret, once (only its hash is kept); credentials with keys get none. */
export const createdClient = obj(
  { ...clientProperties, client_secret: { type: 'string' } },
  Object.keys(clientProperties),
);
export const rotatedSecret = obj({
  client_id: clientId,
  client_secret: { type: 'string' },
  old_secrets_expire_at: timestamp,
});
export const grant = obj({
  id,
  client_id: clientId,
  user_id: id,
  organization_id: id,
  scopes: { type: 'array', items: { type: 'string' } },
  created_at: timestamp,
  last_used_at: nullableTimestamp,
  revoked_at: nullableTimestamp,
});
export const auditEvent = obj({
  id,
  organization_id: { type: ['string', 'null'] },
  actor: { type: ['string', 'null'] },
  client_id: { type: ['string', 'null'] },
  action: { type: 'string' },
  detail: { type: 'object', additionalProperties: true },
  created_at: timestamp,
});

export const problem = {
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      items: obj({ location: { type: 'string' }, pointer: { type: 'string' }, detail: { type: 'string' } }),
    },
  },
  required: ['type', 'title', 'status', 'detail'],
  additionalProperties: false,
} as const;

export const list = (item: object) =>
  obj({ data: { type: 'array', items: item }, next_cursor: { type: ['string', 'null'] } });

export const listQuery = (filters: Record<string, unknown> = {}) =>
  obj(
    {
      limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
      cursor: { type: 'string', minLength: 1, maxLength: 500 },
      ...filters,
    },
    [],
  );

export const params = (...names: string[]) =>
  obj(Object.fromEntries(names.map((n) => [n, n === 'client_id' ? clientId : id])));

/** Every route's 4xx/5xx answers are problem documents. */
const problems = {
  '4XX': {
    description: 'A problem (RFC 9457)',
    content: { 'application/problem+json': { schema: problem } },
  },
  '5XX': {
    description: 'A problem (RFC 9457)',
    content: { 'application/problem+json': { schema: problem } },
  },
};

/** A route schema: summary, tag, its success answer (status → schema, or null for 204) and problems. */
export function route(
  tag: string,
  summary: string,
  success: Record<number, object | null>,
  parts: { body?: object; querystring?: object; params?: object } = {},
) {
  const response: Record<string, unknown> = { ...problems };
  for (const [status, schema] of Object.entries(success)) {
    response[status] =
      schema === null ? { description: 'Done', type: 'null' } : { description: summary, ...schema };
  }
  return { schema: { tags: [tag], summary, security: [{ bearer: [] }], ...parts, response } };
}

export { externalId, grantType, obj };
