/**
 * What every credentials console route shares: who may use it (the active organization's admin),
 * how a page is sent, and the three pages a route answers with (list, generate, one credential),
 * plus the one-time form tokens, the notices a redirect can name, and the redirect-row buttons
 * that submit the generate and edit forms without JavaScript.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { VNode } from 'preact';
import { rolesFromPlatform } from '../../accounts/members.ts';
import type { SessionUser } from '../../accounts/sessions.ts';
import { sendPage } from '../../http/page.tsx';
import { requireCsrf, requireUser } from '../../http/session.ts';
import type { Client } from '../../oauth/model/clients.ts';
import { operatorManaged } from '../../oauth/scope.ts';
import type { Services } from '../../services.ts';
import { RequestAccess } from '../members/pages.tsx';
import { defaultAuth } from './auth-choice.tsx';
import { credentialDetail, listCredentials, organizationAdmins, recentChanges } from './data.ts';
import { CredentialPage } from './detail-page.tsx';
import {
  type Body,
  type CredentialsFormErrors,
  type CredentialsFormValues,
  field,
  toGrantChoices,
} from './form.ts';
import { type GenerateFormState, GeneratePage } from './generate.tsx';
import { ListPage } from './list-page.tsx';
import { memoryOnceTokens, redisOnceTokens } from './once-tokens.ts';
import { NoOrganizationPage, NotAdminPage, NotFoundPage, OperatorManagedPage } from './refusal-pages.tsx';
import type { Notice } from './shared.tsx';

/** The signed-in admin or developer of the active organization, for one request. */
export interface AdminContext {
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
export function changeRows(body: Body, values: CredentialsFormValues): boolean {
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

export const emptyForm = (): CredentialsFormValues => ({
  name: '',
  redirectUris: [''],
  grants: ['authorization_code'],
  postLogoutRedirectUris: '',
  auth: defaultAuth(),
});

const notices: Record<string, Notice> = {
  created: {
    kind: 'success',
    text: 'The credentials are ready. Enter the Client ID and Client Secret in the software you connect.',
  },
  'created-keys': {
    kind: 'success',
    text: 'The credentials are ready. Enter the Client ID in the software you connect; it signs its requests with its private key.',
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

/** The shared helpers of the credentials routes; `credentialsConsole` makes one per app. */
export type ConsoleContext = ReturnType<typeof consoleContext>;

export function consoleContext(s: Services) {
  const once = s.redis ? redisOnceTokens(s.redis, s.clock) : memoryOnceTokens(s.clock);

  const send = (
    reply: FastifyReply,
    user: SessionUser,
    title: string,
    body: VNode,
    status = 200,
  ): FastifyReply => sendPage(reply, { title, body, user, status });

  /** The signed-in admin or developer of the active organization, or a page that says why not. */
  async function admin(request: FastifyRequest, reply: FastifyReply): Promise<AdminContext | undefined> {
    const user = request.user!;
    const active = user.memberships.find((m) => m.orgId === user.activeOrgId);
    if (!active) {
      send(reply, user, 'API credentials', <NoOrganizationPage />, 403);
      return undefined;
    }
    // Credentials are for admins and developers; members only connect apps (DESIGN.md, "Roles").
    if (active.role === 'member') {
      const [admins, requested] = await Promise.all([
        organizationAdmins(s, active.orgId),
        s.store.invitations.hasOpenRequest(active.orgId, user.userId),
      ]);
      const request = (
        <RequestAccess user={user} admins={admins} requested={requested} readOnly={rolesFromPlatform(s)} />
      );
      const adminElsewhere = user.memberships.filter((m) => m.role !== 'member').map((m) => m.orgName);
      send(
        reply,
        user,
        'API credentials',
        <NotAdminPage
          orgName={active.orgName}
          admins={admins}
          adminElsewhere={adminElsewhere}
          request={request}
        />,
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
          .filter((m) => m.role !== 'member' && m.orgId !== ctx.orgId)
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
        postLogoutRedirectUris: detail.postLogoutRedirectUris.join('\n'),
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

  /**
   * The credentials `id` of the active organization, for a change (edit, rotate, delete); otherwise
   * sends the page that says why not: none such here (404), or operator-managed (403). Those hold a
   * reserved scope: a secret rotated here would hand whoever rotated it the admin API, which reads and
   * changes every organization, so the route refuses whatever the page showed.
   */
  async function changeable(reply: FastifyReply, ctx: AdminContext, id: string): Promise<Client | undefined> {
    const client = await s.store.clients.find(id);
    if (!client || client.orgId !== ctx.orgId) {
      await renderCredential(reply, ctx, id);
      return undefined;
    }
    if (operatorManaged(client)) {
      send(
        reply,
        ctx.user,
        'Managed by the platform operator',
        <OperatorManagedPage clientId={client.id} name={client.name} />,
        403,
      );
      return undefined;
    }
    return client;
  }

  /** The secret response: never cached, never stored by the browser (RFC 9111 §5.2.2.5). */
  const noStore = (reply: FastifyReply): FastifyReply =>
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');

  const userOnly = { preHandler: [requireUser(s)] };
  const form = { preHandler: [requireUser(s), requireCsrf] };

  return {
    s,
    once,
    send,
    admin,
    noticeFrom,
    renderGenerate,
    renderList,
    renderCredential,
    changeable,
    noStore,
    userOnly,
    form,
  };
}

type CredentialPageEdit = { values: CredentialsFormValues; errors?: CredentialsFormErrors };
