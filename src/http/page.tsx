/**
 * Server-rendered pages (preact + preact-render-to-string). API for other plugins:
 *
 *   sendPage(reply, { title, body, user?, status?, formAction?, focused? })
 *       Sends a full HTML document: header with the product name, the environment label and, when
 *       `user` is given, the navigation, organization picker (POST /session/org) and sign-out button.
 *       Sets a strict per-page CSP (no inline script or style; `formAction` adds origins to
 *       `form-action`, e.g. a client's redirect URI origin) and X-Frame-Options: DENY. `focused` drops
 *       the navigation and organization picker from the header (the consent page has its own picker).
 *   sendMessagePage(reply, { status, title, message, user?, link? })   a short message or error page.
 *   <CsrfField user={user} />                 the hidden `_csrf` input for forms of signed-in people.
 *   <ErrorSummary errors={[{ field, message }]} title? />   GOV.UK-style summary linking to fields (`#id`);
 *       one a page (its heading has a fixed id).
 *   <Field id name label type? value? hint? error? autocomplete? required? />   label + input + error.
 *   registerPages(app, s)                     once, in app.ts: the environment label, the base path
 *                                             and /assets/app.* (content-hashed URLs, see ./assets.ts).
 * Links and form actions in pages go through useUrl() / urlFor() (./urls.ts): the issuer may have a path.
 *
 * CSS classes (app.css): .card, .stack, .button, .button-secondary, .button-danger, .link-button,
 * .table, .badge, .notice, .notice-success, .muted, .code (monospace, wraps), .actions.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ComponentChildren, VNode } from 'preact';
import { render } from 'preact-render-to-string';
import type { SessionUser } from '../accounts/sessions.ts';
import type { Services } from '../services.ts';
import { loadAsset, serveAsset } from './assets.ts';
import { BasePath, useUrl } from './urls.ts';

const css = loadAsset('app.css', 'text/css; charset=utf-8');
const js = loadAsset('app.js', 'text/javascript; charset=utf-8');

declare module 'fastify' {
  interface FastifyInstance {
    /** The environment label pages show (config.environment); decorated by registerPages. */
    latchkeyEnvironment: string;
  }
}

export interface PageOptions {
  title: string;
  body: ComponentChildren;
  user?: SessionUser;
  status?: number;
  /** Extra origins (or full URLs) forms on this page may submit to or be redirected to. */
  formAction?: string | readonly string[];
  /** A header without navigation and organization picker (the consent page has its own picker). */
  focused?: boolean;
}

/**
 * A form-action source for a URL: its origin, or for a private-use scheme (RFC 8252 §7.1,
 * `com.example.app:/cb`, whose origin is "null") the scheme itself (CSP3 scheme-source).
 */
function formActionSource(u: string): string {
  const url = new URL(u);
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : url.protocol;
}

export function pageCsp(formAction: readonly string[] = []): string {
  const sources = ["'self'", ...formAction.map(formActionSource)];
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `form-action ${[...new Set(sources)].join(' ')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function sendPage(reply: FastifyReply, options: PageOptions): FastifyReply {
  const formAction = options.formAction === undefined ? [] : [options.formAction].flat();
  const environment = reply.server.latchkeyEnvironment ?? '';
  const page = (
    <BasePath.Provider value={reply.server.latchkeyBasePath ?? ''}>
      <Layout {...options} path={reply.request.url} environment={environment} />
    </BasePath.Provider>
  );
  const html = `<!doctype html>${render(page)}`;
  return reply
    .status(options.status ?? 200)
    .header('content-security-policy', pageCsp(formAction))
    .header('x-frame-options', 'DENY')
    .type('text/html; charset=utf-8')
    .send(html);
}

export function sendMessagePage(
  reply: FastifyReply,
  options: {
    status: number;
    title: string;
    message: ComponentChildren;
    user?: SessionUser;
    link?: { href: string; text: string };
  },
): FastifyReply {
  return sendPage(reply, {
    status: options.status,
    title: options.title,
    user: options.user,
    body: (
      <div class="card stack">
        <h1>{options.title}</h1>
        <p>{options.message}</p>
        {options.link && (
          <p>
            <a class="button" href={options.link.href}>
              {options.link.text}
            </a>
          </p>
        )}
      </div>
    ),
  });
}

function Layout(props: PageOptions & { path: string; environment: string }): VNode {
  const { user, environment: environmentLabel } = props;
  const url = useUrl();
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{`${props.title} · Latchkey`}</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href={url(css.url)} />
        <script src={url(js.url)} defer />
      </head>
      <body>
        <a class="skip-link" href="#main">
          Skip to content
        </a>
        <header class="site-header">
          <div class="site-header-inner">
            <a class="brand" href={url('/')}>
              Latchkey
            </a>
            {environmentLabel && (
              <span
                class={`env env-${environmentLabel === 'production' ? 'production' : 'other'}`}
                title="Environment"
              >
                {environmentLabel}
              </span>
            )}
            {user && <UserControls user={user} path={props.path} focused={props.focused} />}
          </div>
          {user && !props.focused && (
            <nav class="site-nav" aria-label="Settings">
              <a
                href={url('/settings/api')}
                aria-current={props.path.startsWith(url('/settings/api')) ? 'page' : undefined}
              >
                API credentials
              </a>
              <a
                href={url('/settings/connected-apps')}
                aria-current={props.path.startsWith(url('/settings/connected-apps')) ? 'page' : undefined}
              >
                Connected apps
              </a>
              <a
                href={url('/settings/members')}
                aria-current={props.path.startsWith(url('/settings/members')) ? 'page' : undefined}
              >
                Members
              </a>
            </nav>
          )}
        </header>
        <main id="main" tabIndex={-1}>
          {props.body}
        </main>
      </body>
    </html>
  );
}

function UserControls({
  user,
  path,
  focused,
}: {
  user: SessionUser;
  path: string;
  focused?: boolean;
}): VNode {
  const active = user.memberships.find((m) => m.orgId === user.activeOrgId);
  const url = useUrl();
  return (
    <div class="user-controls">
      {focused ? null : user.memberships.length > 1 ? (
        <form method="post" action={url('/session/org')} class="org-picker">
          <CsrfField user={user} />
          <input type="hidden" name="next" value={path} />
          <label for="org-picker-select">Organization</label>
          <select id="org-picker-select" name="org_id">
            {user.memberships.map((m) => (
              <option value={m.orgId} selected={m.orgId === user.activeOrgId}>
                {m.orgName}
              </option>
            ))}
          </select>
          <button type="submit" class="button-secondary button-small">
            Switch
          </button>
        </form>
      ) : (
        active && (
          <span class="org-name">
            <span class="visually-hidden">Organization: </span>
            {active.orgName}
          </span>
        )
      )}
      <form method="post" action={url('/logout')} class="sign-out">
        <CsrfField user={user} />
        <span class="user-email">{user.email}</span>
        <button type="submit" class="button-secondary button-small">
          Sign out
        </button>
      </form>
    </div>
  );
}

export function CsrfField({ user }: { user: SessionUser }): VNode {
  return <input type="hidden" name="_csrf" value={user.csrfToken} />;
}

export interface FieldError {
  field: string;
  message: string;
}

export function ErrorSummary({
  errors,
  title,
}: {
  errors: readonly FieldError[];
  title?: string;
}): VNode | null {
  if (errors.length === 0) return null;
  return (
    <div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabIndex={-1} data-focus>
      <h2 id="error-summary-title">{title ?? 'There is a problem'}</h2>
      <ul>
        {errors.map((e) => (
          <li>
            <a href={`#${e.field}`}>{e.message}</a>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function Field(props: {
  id: string;
  name?: string;
  label: string;
  type?: string;
  value?: string;
  hint?: string;
  error?: string;
  autocomplete?: string;
  required?: boolean;
  autofocus?: boolean;
}): VNode {
  const describedBy = [props.hint && `${props.id}-hint`, props.error && `${props.id}-error`]
    .filter(Boolean)
    .join(' ');
  return (
    <div class={props.error ? 'field field-error' : 'field'}>
      <label for={props.id}>{props.label}</label>
      {props.hint && (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p class="error-message" id={`${props.id}-error`}>
          <span class="visually-hidden">Error: </span>
          {props.error}
        </p>
      )}
      <input
        id={props.id}
        name={props.name ?? props.id}
        type={props.type ?? 'text'}
        value={props.value}
        autocomplete={props.autocomplete}
        required={props.required}
        autofocus={props.autofocus}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={describedBy || undefined}
      />
    </div>
  );
}

/**
 * Called on the root instance: decorates the environment label and the base path (./urls.ts) and
 * serves the stylesheet and script under it. Asset URLs carry a content hash, so they may be cached
 * for a year.
 */
export function registerPages(app: FastifyInstance, s: Services): void {
  app.decorate('latchkeyEnvironment', s.config.environment);
  app.decorate('latchkeyBasePath', s.config.basePath);
  serveAsset(app, css, s.config.basePath);
  serveAsset(app, js, s.config.basePath);
}
