/**
 * The secret and the end of credentials: POST …/:id/rotate (a new secret, shown once), POST
 * …/:id/done (closes the one-time secret once "stored" is ticked) and POST …/:id/delete (the typed
 * name must match).
 */
import type { FastifyInstance } from 'fastify';
import { urlFor } from '../../http/urls.ts';
import { deleteCredentials, rotateSecret } from '../../oauth/client-registration.ts';
import { deleteActivity } from '../activity.ts';
import type { ConsoleContext } from './console-context.tsx';
import { type Body, field, overlapChoices } from './form.ts';
import { NotConfirmedPage, SecretDialog } from './secret-dialog.tsx';
import { consolePath, credentialPath } from './shared.tsx';

export function rotateAndDeleteRoutes(app: FastifyInstance, c: ConsoleContext): void {
  const { s, once, send, admin, renderCredential, changeable, noStore, form } = c;

  app.post<{ Params: { id: string } }>(`${consolePath}/:id/rotate`, form, async (request, reply) => {
    const ctx = await admin(request, reply);
    if (!ctx) return reply;
    const { id } = request.params;
    const body = (request.body ?? {}) as Body;
    const client = await changeable(reply, ctx, id);
    if (!client) return reply;
    if (client.isPublic) return renderCredential(reply, ctx, id);
    const choice = overlapChoices.find((c) => c.value === field(body, 'overlap'));
    if (!choice) {
      return renderCredential(reply, ctx, id, {
        status: 422,
        notice: {
          kind: 'danger',
          text: 'Choose how long the current secret keeps working, then rotate again.',
        },
      });
    }
    const token = field(body, '_once');
    if (token && (await once.claim(token)))
      return reply.redirect(`${urlFor(request, credentialPath(id))}?notice=resubmitted`, 303);
    const secret = await rotateSecret(id, choice.seconds, ctx.user.userId, s);
    request.log.info(
      { client_id: id, overlap_seconds: choice.seconds },
      'client secret rotated in the console',
    );
    const now = s.clock();
    noStore(reply);
    return renderCredential(reply, ctx, id, {
      overlay: (
        <SecretDialog
          kind="rotated"
          name={client.name}
          clientId={id}
          secret={secret}
          csrfToken={ctx.user.csrfToken}
          previousUntil={choice.seconds === 0 ? null : now + choice.seconds * 1000}
          now={now}
        />
      ),
    });
  });

  app.post<{ Params: { id: string } }>(`${consolePath}/:id/done`, form, async (request, reply) => {
    const ctx = await admin(request, reply);
    if (!ctx) return reply;
    const { id } = request.params;
    const body = (request.body ?? {}) as Body;
    const kind = field(body, 'kind') === 'rotated' ? 'rotated' : 'created';
    if (field(body, 'stored') !== 'yes') {
      return send(
        reply,
        ctx.user,
        'Did you store the Client Secret?',
        <NotConfirmedPage clientId={id} csrfToken={ctx.user.csrfToken} kind={kind} />,
        422,
      );
    }
    return reply.redirect(`${urlFor(request, credentialPath(id))}?notice=${kind}`, 303);
  });

  app.post<{ Params: { id: string } }>(`${consolePath}/:id/delete`, form, async (request, reply) => {
    const ctx = await admin(request, reply);
    if (!ctx) return reply;
    const { id } = request.params;
    const client = await changeable(reply, ctx, id);
    if (!client) return reply;
    const typed = field((request.body ?? {}) as Body, 'confirm_name').trim();
    if (typed !== client.name) {
      return renderCredential(reply, ctx, id, {
        status: 422,
        deleteError:
          typed === ''
            ? `Type the name, ${client.name}, to confirm`
            : `That does not match: type ${client.name} exactly as shown`,
      });
    }
    await deleteCredentials(id, ctx.user.userId, s);
    await deleteActivity(s, id);
    request.log.info({ client_id: id }, 'credentials deleted in the console');
    return reply.redirect(`${urlFor(request, consolePath)}?notice=deleted`, 303);
  });
}
