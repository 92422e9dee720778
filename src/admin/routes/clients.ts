import type { FastifyInstance } from 'fastify';
import { blockClient } from '../../oauth/client-blocking.ts';
import {
  createCredentials,
  deleteCredentials,
  presentClient,
  rotateSecret,
  updateCredentials,
} from '../../oauth/client-registration.ts';
import type { GrantType } from '../../oauth/model/clients.ts';
import { maxRedirectUriLength, maxRedirectUris } from '../../oauth/redirect-uri.ts';
import type { Services } from '../../services.ts';
import { type ListQuery, listResponse, pageQuery } from '../pagination.ts';
import { notFound, organizationOr404 } from '../problems.ts';
import * as schema from '../schemas.ts';
import { actor } from './organizations.ts';

const uris = {
  type: 'array',
  items: { type: 'string', minLength: 1, maxLength: maxRedirectUriLength },
  maxItems: maxRedirectUris,
} as const;
const grantTypes = { type: 'array', items: schema.grantType, minItems: 1, uniqueItems: true } as const;
const name = { type: 'string', minLength: 1, maxLength: 100 } as const;
/**
 * Keys instead of a secret (RFC 7591 §2 names), the per-client PAR and DPoP requirements, and where a
 * sign-out may return to (RP-Initiated Logout 1.0 §3.1).
 */
const keyFields = {
  jwks: schema.jwks,
  jwks_uri: { type: 'string', minLength: 1, maxLength: 2000 },
  require_pushed_authorization_requests: { type: 'boolean' },
  dpop_bound_access_tokens: { type: 'boolean' },
  post_logout_redirect_uris: uris,
} as const;
interface KeyFields {
  jwks?: { keys: Record<string, unknown>[] };
  jwks_uri?: string;
  require_pushed_authorization_requests?: boolean;
  dpop_bound_access_tokens?: boolean;
  post_logout_redirect_uris?: string[];
}
const keyInput = (b: KeyFields) => ({
  jwks: b.jwks,
  jwksUri: b.jwks_uri,
  requirePar: b.require_pushed_authorization_requests,
  requireDpop: b.dpop_bound_access_tokens,
  postLogoutRedirectUris: b.post_logout_redirect_uris,
});
// 30 days: longer overlaps defeat the point of rotating.
const maxOverlapSeconds = 30 * 86_400;

/**
 * API credentials per organization, through the same registration rules, audit trail and webhooks
 * as the console and the CLI (src/oauth/client-registration.ts). Reserved `latchkey:*` scopes stay
 * CLI-only: the admin API cannot mint another admin.
 */
export async function clientRoutes(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const s = opts.services;
  const clientOr404 = async (id: string) =>
    (await s.store.clients.find(id)) ?? Promise.reject(notFound('client', id));

  app.post<{
    Params: { id: string };
    Body: KeyFields & { name: string; redirect_uris: string[]; grant_types?: GrantType[]; scopes?: string[] };
  }>(
    '/organizations/:id/clients',
    schema.route(
      'clients',
      'Create credentials (the secret is in this answer only; none with jwks or jwks_uri)',
      { 201: schema.createdClient },
      {
        params: schema.params('id'),
        body: schema.obj(
          {
            name,
            redirect_uris: uris,
            grant_types: grantTypes,
            scopes: { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true },
            ...keyFields,
          },
          ['name', 'redirect_uris'],
        ),
      },
    ),
    async (request, reply) => {
      await organizationOr404(s.store.accounts, request.params.id);
      const { client, clientSecret } = await createCredentials(
        {
          orgId: request.params.id,
          name: request.body.name,
          redirectUris: request.body.redirect_uris,
          grantTypes: request.body.grant_types,
          scopes: request.body.scopes,
          ...keyInput(request.body),
          actor: actor(request),
        },
        s,
      );
      return reply.status(201).send({
        ...presentClient(client),
        ...(clientSecret !== undefined && { client_secret: clientSecret }),
      });
    },
  );
  app.get<{ Params: { id: string }; Querystring: ListQuery }>(
    '/organizations/:id/clients',
    schema.route(
      'clients',
      "List an organization's credentials",
      { 200: schema.list(schema.client) },
      {
        params: schema.params('id'),
        querystring: schema.listQuery(),
      },
    ),
    async (request) => {
      await organizationOr404(s.store.accounts, request.params.id);
      return listResponse(
        await s.store.clients.page(request.params.id, pageQuery(request.query)),
        presentClient,
      );
    },
  );

  app.get<{ Querystring: ListQuery }>(
    '/self-registered-clients',
    schema.route(
      'clients',
      'List the clients of no organization: software that registered itself (metadata documents, RFC 7591)',
      { 200: schema.list(schema.client) },
      { querystring: schema.listQuery() },
    ),
    async (request) =>
      listResponse(await s.store.clients.page(null, pageQuery(request.query)), presentClient),
  );

  type ClientPath = { Params: { client_id: string } };
  const clientParams = schema.params('client_id');
  app.get<ClientPath>(
    '/clients/:client_id',
    schema.route('clients', 'Get credentials', { 200: schema.client }, { params: clientParams }),
    async (request) => presentClient(await clientOr404(request.params.client_id)),
  );
  app.patch<
    ClientPath & { Body: KeyFields & { name?: string; redirect_uris?: string[]; grant_types?: GrantType[] } }
  >(
    '/clients/:client_id',
    schema.route(
      'clients',
      'Change the name, redirect URLs, post-logout redirect URLs, grant types, keys or PAR/DPoP requirements',
      { 200: schema.client },
      {
        params: clientParams,
        body: {
          ...schema.obj({ name, redirect_uris: uris, grant_types: grantTypes, ...keyFields }, []),
          minProperties: 1,
        },
      },
    ),
    async (request) => {
      const client = await clientOr404(request.params.client_id);
      const { name, redirect_uris, grant_types } = request.body;
      const updated = await updateCredentials(
        client.id,
        { name, redirectUris: redirect_uris, grantTypes: grant_types, ...keyInput(request.body) },
        actor(request),
        s,
      );
      return presentClient(updated);
    },
  );
  app.delete<ClientPath>(
    '/clients/:client_id',
    schema.route(
      'clients',
      'Delete credentials: every token they hold stops working',
      { 204: null },
      {
        params: clientParams,
      },
    ),
    async (request, reply) => {
      await deleteCredentials((await clientOr404(request.params.client_id)).id, actor(request), s);
      return reply.status(204).send();
    },
  );
  // The operator's block (src/oauth/client-blocking.ts), for any client: console credentials or
  // software of no organization. It answers the client as it is now, blocked before or not (final).
  app.post<ClientPath>(
    '/clients/:client_id/block',
    schema.route(
      'clients',
      'Block a client: refused everywhere as invalid_client, every grant it holds revoked (idempotent)',
      { 200: schema.client },
      { params: clientParams },
    ),
    async (request) =>
      presentClient(
        (await blockClient((await clientOr404(request.params.client_id)).id, actor(request), s)).client,
      ),
  );
  app.post<ClientPath & { Body: { overlap_seconds: number } }>(
    '/clients/:client_id/secrets',
    schema.route(
      'clients',
      'Rotate the secret; older ones keep working for overlap_seconds',
      { 201: schema.rotatedSecret },
      {
        params: clientParams,
        body: schema.obj({ overlap_seconds: { type: 'integer', minimum: 0, maximum: maxOverlapSeconds } }),
      },
    ),
    async (request, reply) => {
      const client = await clientOr404(request.params.client_id);
      const overlap = request.body.overlap_seconds;
      const secret = await rotateSecret(client.id, overlap, actor(request), s);
      return reply.status(201).send({
        client_id: client.id,
        client_secret: secret,
        old_secrets_expire_at: new Date(s.clock() + overlap * 1000).toISOString(),
      });
    },
  );
}
