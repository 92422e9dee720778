import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { AccountError } from '../accounts/users.ts';
import { CredentialsError } from '../oauth/client-rules.ts';
import { OAuthError } from '../oauth/errors.ts';
import type { AccountRepository, Organization } from '../oauth/model/accounts.ts';
import { StoreUnavailableError } from '../store/errors.ts';

/** RFC 9457 problem details: the admin API's only error shape (`application/problem+json`). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Validation problems: one entry per field (RFC 9457 §3.2 extension member). */
  errors?: { location: string; pointer: string; detail: string }[];
}

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** A problem a route raises on purpose; `type` defaults to about:blank (RFC 9457 §4.2.1). */
export class ProblemError extends Error {
  readonly status: number;
  readonly type: string;
  constructor(status: number, detail: string, type = 'about:blank') {
    super(detail);
    this.status = status;
    this.type = type;
  }
}

export const notFound = (what: string, id: string): ProblemError =>
  new ProblemError(404, `No ${what} with id ${id}`);

/** The organization named in the path, or a 404 problem: every organization-scoped route starts here. */
export const organizationOr404 = async (
  accounts: Pick<AccountRepository, 'findOrganization'>,
  id: string,
): Promise<Organization> =>
  (await accounts.findOrganization(id)) ?? Promise.reject(notFound('organization', id));

function send(reply: FastifyReply, problem: Omit<Problem, 'title'> & { title?: string }): FastifyReply {
  const body: Problem = { ...problem, title: problem.title ?? titles[problem.status] ?? 'Error' };
  return reply.status(problem.status).type('application/problem+json').send(body);
}

type AjvError = { instancePath: string; message?: string; params: Record<string, unknown> };

/** Fastify's validation errors, one per field, with a JSON pointer into the part that failed. */
function fieldErrors(error: FastifyError): NonNullable<Problem['errors']> {
  const location = error.validationContext ?? 'body';
  return ((error.validation ?? []) as AjvError[]).map((e) => {
    const field = e.params.missingProperty ?? e.params.additionalProperty;
    const pointer = typeof field === 'string' ? `${e.instancePath}/${field}` : e.instancePath;
    const detail =
      e.params.additionalProperty !== undefined ? 'is not a known field' : (e.message ?? 'is not valid');
    return { location, pointer, detail };
  });
}

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ProblemError)
      return send(reply, { type: error.type, status: error.status, detail: error.message });
    if (error instanceof OAuthError) {
      // The Bearer check (RFC 6750 §3): keep its WWW-Authenticate challenge.
      reply.headers(error.headers);
      return send(reply, { type: 'about:blank', status: error.status, detail: error.message });
    }
    if (error instanceof CredentialsError || error instanceof AccountError) {
      const status = error instanceof AccountError && error.kind === 'conflict' ? 409 : 422;
      return send(reply, { type: 'about:blank', status, detail: error.message });
    }
    if (error instanceof StoreUnavailableError) {
      reply.header('retry-after', '5');
      return send(reply, {
        type: 'about:blank',
        status: 503,
        detail: 'The database is unavailable; try again shortly',
      });
    }
    if (error.validation) {
      const errors = fieldErrors(error);
      return send(reply, {
        type: 'urn:latchkey:problem:validation',
        title: 'Invalid request',
        status: 400,
        detail: errors.map((e) => `${e.location}${e.pointer} ${e.detail}`).join('; '),
        errors,
      });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'admin API request failed');
      return send(reply, { type: 'about:blank', status: 500, detail: 'Internal error; it was logged' });
    }
    return send(reply, { type: 'about:blank', status, detail: error.message });
  });
  app.setNotFoundHandler((request, reply) =>
    send(reply, {
      type: 'about:blank',
      status: 404,
      detail: `No route for ${request.method} ${request.url.split('?')[0]}`,
    }),
  );
}
