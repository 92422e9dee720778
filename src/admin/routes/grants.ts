import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.ts';
import { type ListQuery, listResponse, pageQuery } from '../pagination.ts';
import { presentAuditEvent, presentGrant } from '../present.ts';
import { notFound, organizationOr404 } from '../problems.ts';
import * as schema from '../schemas.ts';
import { actor } from './organizations.ts';

/** What people authorized (connected apps) and the audit trail. */
export async function grantRoutes(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const s = opts.services;
  app.get<{ Params: { id: string }; Querystring: ListQuery }>(
    '/organizations/:id/grants',
    schema.route(
      'grants',
      "List an organization's grants, revoked ones included",
      { 200: schema.list(schema.grant) },
      {
        params: schema.params('id'),
        querystring: schema.listQuery(),
      },
    ),
    async (request) => {
      await organizationOr404(s.store.accounts, request.params.id);
      return listResponse(
        await s.store.grants.page(request.params.id, pageQuery(request.query)),
        presentGrant,
      );
    },
  );
  app.delete<{ Params: { id: string } }>(
    '/grants/:id',
    schema.route(
      'grants',
      'Revoke a grant with its refresh tokens and access tokens',
      { 204: null },
      {
        params: schema.params('id'),
      },
    ),
    async (request, reply) => {
      const grant = await s.store.grants.find(request.params.id);
      if (!grant) throw notFound('grant', request.params.id);
      if (grant.revokedAt === null) {
        // The revocation, its grant.revoked webhook and the audit event commit together.
        await s.store.transaction(async (tx) => {
          await tx.grants.revoke(grant.id, s.clock());
          await tx.audit.record({
            orgId: grant.orgId,
            actor: actor(request),
            clientId: grant.clientId,
            action: 'grant.revoked',
            detail: { userId: grant.userId, reason: 'revoked through the admin API', grants: 1 },
          });
        });
      }
      return reply.status(204).send();
    },
  );
  app.get<{ Querystring: ListQuery & { organization_id?: string } }>(
    '/audit-events',
    schema.route(
      'audit events',
      'List audit events, newest first',
      { 200: schema.list(schema.auditEvent) },
      {
        querystring: schema.listQuery({ organization_id: { type: 'string', minLength: 1 } }),
      },
    ),
    async (request) =>
      listResponse(
        await s.store.audit.page({ orgId: request.query.organization_id }, pageQuery(request.query)),
        presentAuditEvent,
      ),
  );
}
