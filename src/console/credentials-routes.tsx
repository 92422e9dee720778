/**
 * Settings → API: the credentials console (issue 4). Server-rendered forms that work without
 * JavaScript; every POST carries the session's CSRF token; every change lands in the audit log
 * through src/oauth/credentials.ts.
 *
 * The Client Secret appears in exactly one response: the POST that generated it (create or rotate),
 * sent with `Cache-Control: no-store` (RFC 9111 §5.2.2.5). It is never stored in a retrievable form,
 * never put in a URL, and never logged.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { VNode } from 'preact';
import type { SessionUser } from '../accounts/sessions.ts';
import { sendPage } from '../http/page.tsx';
import { requireCsrf, requireUser } from '../http/session.ts';
import {
  CredentialsError,
  createCredentials,
  deleteCredentials,
  rotateSecret,
  updateCredentials,
} from '../oauth/credentials.ts';
import type { Services } from '../services.ts';
import { deleteActivity, stopActivity } from './activity.ts';
import { serveConsoleAssets } from './assets.ts';
import { credentialDetail, listCredentials, organizationAdmins, recentChanges } from './credentials-data.ts';
import { CredentialPage } from './credentials-detail-page.tsx';
import {
  type Body,
  type CredentialsFormValues,
  field,
  filledRows,
  hasErrors,
  overlapChoices,
  parseCredentialsForm,
  toGrantChoices,
  toGrantTypes,
  validateCredentialsForm,
} from './credentials-form.ts';
import { type GenerateFormState, GeneratePage } from './credentials-generate.tsx';
import { ListPage } from './credentials-list-page.tsx';
import { NoOrganizationPage, NotAdminPage, NotFoundPage } from './credentials-refusal-pages.tsx';
import { NotConfirmedPage, SecretDialog } from './credentials-secret-dialog.tsx';
import { basePath, credentialPath, type Notice } from './credentials-shared.tsx';

interface AdminContext {
  user: SessionUser;
  orgId: string;
  orgName: string;
}

/** "Remove" without JavaScript: the row's index comes back in the submit button's value. */
function removeRow(rows: string[], index: string): void {
  const i = Number(index);
  if (Number.isInteger(i) && i >= 0 && i < rows.length) rows.splice(i, 1);
}

/**
 * Without JavaScript, "Add another" and "Remove" submit the form: applies that change to the redirect
 * rows and says whether the submit was one of them (then the form is shown again, not saved).
 */
function changeRows(body: Body, values: CredentialsFormValues): boolean {
  const remove = field(body, '_remove');
  if (field(body, '_action') === 'add-row') {
    values.redirectUris.push('');
    return true;
  }
  if (remove !== '') {
    removeRow(values.redirectUris, remove);
    return true;
  }
  return false;
}

const emptyForm = (): CredentialsFormValues => ({
  name: '',
  redirectUris: [''],
  grants: ['authorization_code'],
});

/**
 * One-time form tokens: a generate or rotate form that is submitted twice (reload of the result
 * page, back button) must not create a second credential or expire the secret just shown. Kept in
 * memory: at worst a restart forgets them, and the second submit then acts like a new one.
 */
function onceTokens(clock: () => number) {
  const used = new Map<string, { clientId: string | undefined; at: number }>();
  const ttlMs = 24 * 3_600_000;
  return {
    issue: (): string => randomBytes(16).toString('base64url'),
    /** Claims a token; returns the earlier use when it was claimed before. */
    claim(token: string): { clientId: string | undefined } | undefined {
      if (!/^[A-Za-z0-9_-]{22}$/.test(token)) return undefined;
      const now = clock();
      const earlier = used.get(token);
      if (earlier && now - earlier.at < ttlMs) return earlier;
      if (used.size > 10_000) {
        for (const [k, v] of used) if (now - v.at >= ttlMs) used.delete(k);
        if (used.size > 10_000) used.delete(used.keys().next().value!);
      }
      used.set(token, { clientId: undefined, at: now });
      return undefined;
    },
    settle(token: string, clientId: string): void {
      const entry = used.get(token);
      if (entry) entry.clientId = clientId;
    },
  };
}

const notices: Record<string, Notice> = {
  created: {
    kind: 'success',
    text: 'The credentials are ready. Enter the Client ID and Client Secret in the software you connect.',
  },
  rotated: { kind: 'success', text: 'The new Client Secret is active.' },
  updated: { kind: 'success', text: 'Your changes are saved.' },
  unchanged: { kind: 'info', text: 'Nothing changed.' },
  deleted: { kind: 'success', text: 'The credentials were deleted and every token they held was revoked.' },
  resubmitted: {
    kind: 'info',
    text: 'That form was already submitted, so nothing was done again. A Client Secret is shown only once: if you did not store it, rotate the secret.',
  },
};

const rateLimitLabel = (s: Services): string => {
  const { limit, windowMs } = s.config.tokenRateLimit;
  const unit =
    windowMs === 1000
      ? 'second'
      : windowMs === 60_000
        ? 'minute'
        : windowMs === 3_600_000
          ? 'hour'
          : `${windowMs / 1000} s`;
  return `${limit} per ${unit}`;
};

export async function credentialsConsole(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const s = opts.services;
  const once = onceTokens(s.clock);
  serveConsoleAssets(app);
  // Shutdown: write the activity counts still in memory while the store is open.
  app.addHook('onClose', async () => stopActivity(s));

  const send = (
    reply: FastifyReply,
    user: SessionUser,
    title: string,
    body: VNode,
    status = 200,
  ): FastifyReply => sendPage(reply, { title, body, user, status });

  /** The signed-in admin of the active organization, or a page that says why not. */
  async function admin(request: FastifyRequest, reply: FastifyReply): Promise<AdminContext | undefined> {
    const user = request.user!;
    const active = user.memberships.find((m) => m.orgId === user.activeOrgId);
    if (!active) {
      send(reply, user, 'API credentials', <NoOrganizationPage />, 403);
      return undefined;
    }
    if (active.role !== 'admin') {
      const admins = await organizationAdmins(s, active.orgId);
      const adminElsewhere = user.memberships.filter((m) => m.role === 'admin').map((m) => m.orgName);
      send(
        reply,
        user,
        'API credentials',
        <NotAdminPage orgName={active.orgName} admins={admins} adminElsewhere={adminElsewhere} />,
        403,
      );
      return undefined;
    }
    return { user, orgId: active.orgId, orgName: active.orgName };
  }

  const noticeFrom = (request: FastifyRequest): Notice | undefined => {
    const { notice } = request.query as { notice?: string };
    return notice && Object.hasOwn(notices, notice) ? notices[notice] : undefined;
  };

  const renderGenerate = (
    reply: FastifyReply,
    ctx: AdminContext,
    state: GenerateFormState,
    status?: number,
  ): FastifyReply =>
    send(
      reply,
      ctx.user,
      'Generate new credentials',
      <GeneratePage csrfToken={ctx.user.csrfToken} orgName={ctx.orgName} state={state} />,
      status,
    );

  async function renderList(
    reply: FastifyReply,
    ctx: AdminContext,
    extra: { notice?: Notice; highlightId?: string; overlay?: VNode; status?: number } = {},
  ): Promise<FastifyReply> {
    const [credentials, changes] = await Promise.all([
      listCredentials(s, ctx.orgId),
      recentChanges(s, ctx.orgId),
    ]);
    return send(
      reply,
      ctx.user,
      'API credentials',
      <ListPage
        csrfToken={ctx.user.csrfToken}
        orgName={ctx.orgName}
        credentials={credentials}
        changes={changes}
        otherOrgs={ctx.user.memberships
          .filter((m) => m.role === 'admin' && m.orgId !== ctx.orgId)
          .map((m) => m.orgName)}
        now={s.clock()}
        form={{ values: emptyForm(), once: once.issue() }}
        {...extra}
      />,
      extra.status,
    );
  }

  async function renderCredential(
    reply: FastifyReply,
    ctx: AdminContext,
    clientId: string,
    extra: {
      notice?: Notice;
      edit?: CredentialPageEdit;
      deleteError?: string;
      overlay?: VNode;
      status?: number;
    } = {},
  ): Promise<FastifyReply> {
    const detail = await credentialDetail(s, ctx.orgId, clientId);
    if (!detail)
      return send(reply, ctx.user, 'Credentials not found', <NotFoundPage orgName={ctx.orgName} />, 404);
    const edit = extra.edit ?? {
      values: {
        name: detail.name,
        redirectUris: [...detail.redirectUris, ''],
        grants: toGrantChoices(detail.grantTypes),
      },
    };
    return send(
      reply,
      ctx.user,
      detail.name,
      <CredentialPage
        csrfToken={ctx.user.csrfToken}
        detail={detail}
        now={s.clock()}
        edit={edit}
        rotateOnce={once.issue()}
        rateLimit={rateLimitLabel(s)}
        notice={extra.notice}
        deleteError={extra.deleteError}
        overlay={extra.overlay}
      />,
      extra.status,
    );
  }

  /** The secret response: never cached, never stored by the browser (RFC 9111 §5.2.2.5). */
  const noStore = (reply: FastifyReply): FastifyReply =>
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');

  const userOnly = { preHandler: [requireUser(s)] };
  const form = { preHandler: [requireUser(s), requireCsrf] };

  app.get(basePath, userOnly, async (request, reply) => {
    const ctx = await admin(request, reply);
    if (!ctx) return reply;
    return renderList(reply, ctx, { notice: noticeFrom(request) });
  });

  app.get(`${basePath}/new`, userOnly, async (request, reply) => {
    const ctx = await admin(request, reply);
    if (!ctx) return reply;
    return renderGenerate(reply, ctx, { values: emptyForm(), once: once.issue() });
  });

  app.post(basePath, form, async (request, reply) => {
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

    const earlier = token ? once.claim(token) : undefined;
    if (earlier) {
      return reply.redirect(
        earlier.clientId
          ? `${credentialPath(earlier.clientId)}?notice=resubmitted`
          : `${basePath}?notice=resubmitted`,
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
          grantTypes: toGrantTypes(values.grants),
          actor: ctx.user.userId,
        },
        s,
      );
    } catch (error) {
      if (!(error instanceof CredentialsError)) throw error;
      return renderGenerate(
        reply,
        ctx,
        { values, errors: { redirectUris: [], name: error.message }, once: once.issue() },
        422,
      );
    }
    if (token) once.settle(token, created.client.id);
    request.log.info(
      { client_id: created.client.id, org_id: ctx.orgId },
      'credentials created in the console',
    );
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

  app.get<{ Params: { id: string } }>(`${basePath}/:id`, userOnly, async (request, reply) => {
    const ctx = await admin(request, reply);
    if (!ctx) return reply;
    return renderCredential(reply, ctx, request.params.id, { notice: noticeFrom(request) });
  });

  app.post<{ Params: { id: string } }>(`${basePath}/:id`, form, async (request, reply) => {
    const ctx = await admin(request, reply);
    if (!ctx) return reply;
    const { id } = request.params;
    const body = (request.body ?? {}) as Body;
    const values = parseCredentialsForm(body);
    const client = await s.store.clients.find(id);
    if (!client || client.orgId !== ctx.orgId) return renderCredential(reply, ctx, id);
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
        },
        ctx.user.userId,
        s,
      );
      return reply.redirect(
        `${credentialPath(id)}?notice=${updated.updatedAt === before ? 'unchanged' : 'updated'}`,
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

  app.post<{ Params: { id: string } }>(`${basePath}/:id/rotate`, form, async (request, reply) => {
    const ctx = await admin(request, reply);
    if (!ctx) return reply;
    const { id } = request.params;
    const body = (request.body ?? {}) as Body;
    const client = await s.store.clients.find(id);
    if (!client || client.orgId !== ctx.orgId || client.isPublic) return renderCredential(reply, ctx, id);
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
    if (token && once.claim(token)) return reply.redirect(`${credentialPath(id)}?notice=resubmitted`, 303);
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

  app.post<{ Params: { id: string } }>(`${basePath}/:id/done`, form, async (request, reply) => {
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
    return reply.redirect(`${credentialPath(id)}?notice=${kind}`, 303);
  });

  app.post<{ Params: { id: string } }>(`${basePath}/:id/delete`, form, async (request, reply) => {
    const ctx = await admin(request, reply);
    if (!ctx) return reply;
    const { id } = request.params;
    const client = await s.store.clients.find(id);
    if (!client || client.orgId !== ctx.orgId) return renderCredential(reply, ctx, id);
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
    return reply.redirect(`${basePath}?notice=deleted`, 303);
  });
}

type CredentialPageEdit = {
  values: CredentialsFormValues;
  errors?: ReturnType<typeof validateCredentialsForm>;
};
