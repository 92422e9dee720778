/**
 * The list and generating credentials: GET /settings/api, GET /settings/api/new (the generate form
 * as a page) and POST /settings/api (create; the new Client Secret is shown once, over the list).
 */
import type { FastifyInstance } from 'fastify';
import { urlFor } from '../../http/urls.ts';
import { createCredentials } from '../../oauth/client-registration.ts';
import { CredentialsError } from '../../oauth/client-rules.ts';
import { type ConsoleContext, changeRows, emptyForm } from './console-context.tsx';
import {
  type AuthValues,
  type Body,
  field,
  filledRows,
  hasErrors,
  lines,
  parseCredentialsForm,
  toGrantTypes,
  validateCredentialsForm,
} from './form.ts';
import { SecretDialog } from './secret-dialog.tsx';
import { consolePath, credentialPath } from './shared.tsx';

/** The chosen keys for createCredentials; nothing when the person chose a client secret. */
function keysInput(auth: AuthValues | undefined) {
  if (auth?.kind !== 'keys') return {};
  return auth.jwksUri !== ''
    ? { jwksUri: auth.jwksUri }
    : { jwks: JSON.parse(auth.jwks) as { keys: Record<string, unknown>[] } };
}

export function listAndGenerateRoutes(app: FastifyInstance, c: ConsoleContext): void {
  const { s, once, admin, noticeFrom, renderGenerate, renderList, noStore, userOnly, form } = c;

  app.get(consolePath, userOnly, async (request, reply) => {
    const ctx = await admin(request, reply);
    if (!ctx) return reply;
    return renderList(reply, ctx, { notice: noticeFrom(request) });
  });

  app.get(`${consolePath}/new`, userOnly, async (request, reply) => {
    const ctx = await admin(request, reply);
    if (!ctx) return reply;
    return renderGenerate(reply, ctx, { values: emptyForm(), once: once.issue() });
  });

  app.post(consolePath, form, async (request, reply) => {
    const ctx = await admin(request, reply);
    if (!ctx) return reply;
    const body = (request.body ?? {}) as Body;
    const values = parseCredentialsForm(body);
    const token = field(body, '_once');
    const formAgain = (status: number, errors = validateCredentialsForm(values)) =>
      renderGenerate(
        reply,
        ctx,
        { values, errors: status === 200 ? undefined : errors, once: token || once.issue() },
        status,
      );

    if (changeRows(body, values)) return formAgain(200, undefined);

    const errors = validateCredentialsForm(values);
    if (hasErrors(errors)) return formAgain(422, errors);

    const earlier = token ? await once.claim(token) : undefined;
    if (earlier) {
      return reply.redirect(
        earlier.clientId
          ? `${urlFor(request, credentialPath(earlier.clientId))}?notice=resubmitted`
          : `${urlFor(request, consolePath)}?notice=resubmitted`,
        303,
      );
    }
    let created: Awaited<ReturnType<typeof createCredentials>>;
    try {
      created = await createCredentials(
        {
          orgId: ctx.orgId,
          name: values.name,
          redirectUris: filledRows(values.redirectUris),
          postLogoutRedirectUris: lines(values.postLogoutRedirectUris ?? ''),
          grantTypes: toGrantTypes(values.grants),
          ...keysInput(values.auth),
          actor: ctx.user.userId,
        },
        s,
      );
    } catch (error) {
      if (!(error instanceof CredentialsError)) throw error;
      // The registration rules' word on keys (public only, https URL) belongs by the key fields.
      const where = /jwks/.test(error.message) ? 'keys' : 'name';
      return renderGenerate(
        reply,
        ctx,
        { values, errors: { redirectUris: [], [where]: error.message }, once: once.issue() },
        422,
      );
    }
    if (token) await once.settle(token, created.client.id);
    request.log.info(
      { client_id: created.client.id, org_id: ctx.orgId },
      'credentials created in the console',
    );
    // No secret to show once: the software proves itself with its key.
    if (created.clientSecret === undefined) {
      return reply.redirect(`${urlFor(request, credentialPath(created.client.id))}?notice=created-keys`, 303);
    }
    noStore(reply);
    return renderList(reply, ctx, {
      highlightId: created.client.id,
      status: 201,
      overlay: (
        <SecretDialog
          kind="created"
          name={created.client.name}
          clientId={created.client.id}
          secret={created.clientSecret!}
          csrfToken={ctx.user.csrfToken}
          now={s.clock()}
        />
      ),
    });
  });
}
