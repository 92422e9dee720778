import type { FastifyInstance, FastifyRequest } from 'fastify';
import { endConnectedApps } from '../../accounts/members.ts';
import { provisionUser } from '../../accounts/users.ts';
import { deleteOrganization } from '../../oauth/client-registration.ts';
import type { Role } from '../../oauth/model/accounts.ts';
import type { Services } from '../../services.ts';
import { type ListQuery, listResponse, pageQuery } from '../pagination.ts';
import { presentMember, presentOrganization, presentUser } from '../present.ts';
import { notFound, organizationOr404, ProblemError } from '../problems.ts';
import * as schema from '../schemas.ts';

/** The admin client that called: the actor of every audit event the admin API writes. */
export const actor = (request: FastifyRequest): string => request.token!.client_id;

type Id = { Params: { id: string } };
const conflict = (detail: string) => new ProblemError(409, detail);

/** Organizations, users and memberships: the platform provisions its people (DESIGN.md). */
export async function organizationRoutes(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const s = opts.services;
  const accounts = s.store.accounts;
  const audit = (request: FastifyRequest, orgId: string | null, action: string, detail: object) =>
    s.store.audit.record({ orgId, actor: actor(request), clientId: null, action, detail: { ...detail } });
  const orgOr404 = (id: string) => organizationOr404(accounts, id);
  const externalIdFree = async (externalId: string | null | undefined, except?: string) => {
    if (!externalId) return;
    const same = (await accounts.listOrganizations({ limit: 1 }, { externalId })).items[0];
    if (same && same.id !== except) throw conflict(`An organization with external_id ${externalId} exists`);
  };

  app.post<{ Body: { name: string; external_id?: string | null } }>(
    '/organizations',
    schema.route(
      'organizations',
      'Create an organization',
      { 201: schema.organization },
      {
        body: schema.obj(
          { name: { type: 'string', minLength: 1, maxLength: 200 }, external_id: schema.externalId },
          ['name'],
        ),
      },
    ),
    async (request, reply) => {
      await externalIdFree(request.body.external_id);
      const org = await accounts.createOrganization(
        request.body.name.trim(),
        request.body.external_id ?? null,
      );
      await audit(request, org.id, 'organization.created', { name: org.name, externalId: org.externalId });
      return reply.status(201).send(presentOrganization(org));
    },
  );
  app.get<{ Querystring: ListQuery & { external_id?: string } }>(
    '/organizations',
    schema.route(
      'organizations',
      'List organizations',
      { 200: schema.list(schema.organization) },
      {
        querystring: schema.listQuery({ external_id: { type: 'string', minLength: 1 } }),
      },
    ),
    async (request) =>
      listResponse(
        await accounts.listOrganizations(pageQuery(request.query), { externalId: request.query.external_id }),
        presentOrganization,
      ),
  );
  app.get<Id>(
    '/organizations/:id',
    schema.route(
      'organizations',
      'Get an organization',
      { 200: schema.organization },
      { params: schema.params('id') },
    ),
    async (request) => presentOrganization(await orgOr404(request.params.id)),
  );
  app.patch<Id & { Body: { name?: string; external_id?: string | null } }>(
    '/organizations/:id',
    schema.route(
      'organizations',
      'Rename an organization or change its external_id',
      { 200: schema.organization },
      {
        params: schema.params('id'),
        body: {
          ...schema.obj(
            { name: { type: 'string', minLength: 1, maxLength: 200 }, external_id: schema.externalId },
            [],
          ),
          minProperties: 1,
        },
      },
    ),
    async (request) => {
      const { id } = request.params;
      await orgOr404(id);
      await externalIdFree(request.body.external_id, id);
      const update = { name: request.body.name?.trim(), externalId: request.body.external_id };
      await accounts.updateOrganization(id, update);
      await audit(request, id, 'organization.updated', request.body);
      return presentOrganization(await orgOr404(id));
    },
  );
  app.delete<Id>(
    '/organizations/:id',
    schema.route(
      'organizations',
      'Delete an organization with its credentials and grants',
      { 204: null },
      {
        params: schema.params('id'),
      },
    ),
    async (request, reply) => {
      if (!(await deleteOrganization(request.params.id, actor(request), s))) {
        throw notFound('organization', request.params.id);
      }
      return reply.status(204).send();
    },
  );

  const userOr404 = async (id: string) =>
    (await accounts.findUser(id)) ?? Promise.reject(notFound('user', id));
  app.post<{ Body: { email: string; name?: string | null; external_id?: string | null } }>(
    '/users',
    schema.route(
      'users',
      'Create a user (signs in through the platform, no password)',
      { 201: schema.user },
      {
        body: schema.obj(
          {
            email: { type: 'string', format: 'email', maxLength: 320 },
            name: { type: ['string', 'null'], maxLength: 200 },
            external_id: schema.externalId,
          },
          ['email'],
        ),
      },
    ),
    async (request, reply) => {
      const { email, name, external_id } = request.body;
      const user = await provisionUser({ email, name, externalId: external_id }, s);
      await audit(request, null, 'user.created', { userId: user.id, email: user.email });
      return reply.status(201).send(presentUser(user));
    },
  );
  app.get<{ Querystring: ListQuery & { email?: string; external_id?: string } }>(
    '/users',
    schema.route(
      'users',
      'List users',
      { 200: schema.list(schema.user) },
      {
        querystring: schema.listQuery({
          email: { type: 'string', minLength: 1 },
          external_id: { type: 'string', minLength: 1 },
        }),
      },
    ),
    async (request) =>
      listResponse(
        await accounts.listUsers(pageQuery(request.query), {
          email: request.query.email,
          externalId: request.query.external_id,
        }),
        presentUser,
      ),
  );
  app.get<Id>(
    '/users/:id',
    schema.route('users', 'Get a user', { 200: schema.user }, { params: schema.params('id') }),
    async (request) => presentUser(await userOr404(request.params.id)),
  );
  app.delete<Id>(
    '/users/:id',
    schema.route(
      'users',
      'Delete a user with their memberships and grants',
      { 204: null },
      { params: schema.params('id') },
    ),
    async (request, reply) => {
      const user = await userOr404(request.params.id);
      await accounts.deleteUser(user.id);
      await audit(request, null, 'user.deleted', { userId: user.id, email: user.email });
      return reply.status(204).send();
    },
  );

  type MemberPath = { Params: { id: string; user_id: string } };
  const memberParams = schema.params('id', 'user_id');
  app.put<MemberPath & { Body: { role: Role } }>(
    '/organizations/:id/members/:user_id',
    schema.route(
      'members',
      'Add a user to an organization, or change their role',
      { 200: schema.member, 201: schema.member },
      {
        params: memberParams,
        body: schema.obj({ role: schema.role }),
      },
    ),
    async (request, reply) => {
      const org = await orgOr404(request.params.id);
      const user = await userOr404(request.params.user_id);
      const before = await accounts.findMembership(org.id, user.id);
      await accounts.addMembership(org.id, user.id, request.body.role);
      const detail = {
        userId: user.id,
        email: user.email,
        role: request.body.role,
        ...(before && { from: before.role }),
      };
      await audit(request, org.id, before ? 'member.updated' : 'member.added', detail);
      const member = (await accounts.findMembership(org.id, user.id))!;
      return reply.status(before ? 200 : 201).send(presentMember(member));
    },
  );
  app.delete<MemberPath>(
    '/organizations/:id/members/:user_id',
    schema.route('members', 'Remove a user from an organization', { 204: null }, { params: memberParams }),
    async (request, reply) => {
      const { id, user_id } = request.params;
      const member = await accounts.findMembership(id, user_id);
      if (!member) throw notFound('member of this organization', user_id);
      const by = actor(request);
      // The membership, its audit event and the end of the apps the person connected here commit together.
      await s.store.transaction(async (tx) => {
        if ((await tx.accounts.removeMembership(id, user_id, { keepAnAdmin: false })) !== 'done') return;
        await tx.audit.record({
          orgId: id,
          actor: by,
          clientId: null,
          action: 'member.removed',
          detail: { userId: user_id, email: member.email, role: member.role },
        });
        await endConnectedApps(
          tx,
          { orgId: id, userId: user_id, by, reason: 'removed through the admin API' },
          s.clock(),
        );
      });
      return reply.status(204).send();
    },
  );
  app.get<Id & { Querystring: ListQuery }>(
    '/organizations/:id/members',
    schema.route(
      'members',
      "List an organization's members",
      { 200: schema.list(schema.member) },
      {
        params: schema.params('id'),
        querystring: schema.listQuery(),
      },
    ),
    async (request) => {
      const org = await orgOr404(request.params.id);
      return listResponse(await accounts.listMembers(org.id, pageQuery(request.query)), presentMember);
    },
  );
}
