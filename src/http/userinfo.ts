import type { FastifyInstance } from 'fastify';
import { openIdScope } from '../oauth/scope.ts';
import { userInfo } from '../oauth/userinfo.ts';
import type { Services } from '../services.ts';
import { requireBearer } from './bearer.ts';

/**
 * OpenID Connect Core 1.0 §5.3: GET or POST with the access token in the Authorization header
 * (Bearer, or DPoP with a proof). Without a token or with a bad one 401, without `openid` 403
 * `insufficient_scope`, both with the WWW-Authenticate challenge of every protected route (./bearer.ts).
 * Answers carry `Cache-Control: no-store` (./security-headers.ts) like every JSON answer here.
 */
export async function userInfoEndpoint(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const s = opts.services;
  app.route({
    method: ['GET', 'POST'],
    url: '/oauth/userinfo',
    preHandler: requireBearer(s, openIdScope),
    handler: async (request) => userInfo(request.token!, s),
  });
}
