/**
 * One credential: GET /settings/api/:id (its page) and POST /settings/api/:id (save the edit form).
 */
import type { FastifyInstance } from 'fastify';
import { urlFor } from '../../http/urls.ts';
import { updateCredentials } from '../../oauth/client-registration.ts';
import { CredentialsError } from '../../oauth/client-rules.ts';
import { type ConsoleContext, changeRows } from './console-context.tsx';
import {
  type Body,
  filledRows,
  hasErrors,
  lines,
  parseCredentialsForm,
  toGrantChoices,
  toGrantTypes,
  validateCredentialsForm,
} from './form.ts';
import { consolePath, credentialPath } from './shared.tsx';

export function detailAndEditRoutes(app: FastifyInstance, c: ConsoleContext): void {
  const { s, admin, noticeFrom, renderCredential, changeable, userOnly, form } = c;

  app.get<{ Params: { id: string } }>(`${consolePath}/:id`, userOnly, async (request, reply) => {
    const ctx = await admin(request, reply);
    if (!ctx) return reply;
    return renderCredential(reply, ctx, request.params.id, { notice: noticeFrom(request) });
  });

  app.post<{ Params: { id: string } }>(`${consolePath}/:id`, form, async (request, reply) => {
    const ctx = await admin(request, reply);
    if (!ctx) return reply;
    const { id } = request.params;
    const body = (request.body ?? {}) as Body;
    const values = parseCredentialsForm(body);
    const client = await changeable(reply, ctx, id);
    if (!client) return reply;
    if (client.isPublic) values.grants = toGrantChoices(client.grantTypes);

    if (changeRows(body, values)) return renderCredential(reply, ctx, id, { edit: { values } });
    const errors = validateCredentialsForm(values);
    if (hasErrors(errors)) return renderCredential(reply, ctx, id, { edit: { values, errors }, status: 422 });
    try {
      const before = client.updatedAt;
      const updated = await updateCredentials(
        id,
        {
          name: values.name,
          redirectUris: filledRows(values.redirectUris),
          grantTypes: toGrantTypes(values.grants),
          ...(values.postLogoutRedirectUris !== undefined && {
            postLogoutRedirectUris: lines(values.postLogoutRedirectUris),
          }),
        },
        ctx.user.userId,
        s,
      );
      return reply.redirect(
        `${urlFor(request, credentialPath(id))}?notice=${updated.updatedAt === before ? 'unchanged' : 'updated'}`,
        303,
      );
    } catch (error) {
      if (!(error instanceof CredentialsError)) throw error;
      return renderCredential(reply, ctx, id, {
        edit: { values, errors: { redirectUris: [], name: error.message } },
        status: 422,
      });
    }
  });
}
