import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { adminApi, adminPrefix } from '../admin/index.ts';
import { countTokenActivity } from '../console/activity.ts';
import { connectedAppsPages } from '../console/connected-apps.tsx';
import { credentialsConsole } from '../console/credentials/routes.tsx';
import { membersConsole } from '../console/members/routes.tsx';
import { requestLogger } from '../logger.ts';
import type { Services } from '../services.ts';
import { registerWebhooks } from '../webhooks/plugin.ts';
import { demoApi } from './api.ts';
import { authorizePages } from './authorize-routes.tsx';
import { registerBodyParsers } from './body.ts';
import { registerErrorHandler } from './errors.ts';
import { healthEndpoints } from './health.ts';
import { keyEndpoints } from './keys.ts';
import { loginPages } from './login.tsx';
import { logoutPages } from './logout.tsx';
import { createMetrics, observeServices, registerRequestMetrics } from './metrics.ts';
import { oauthEndpoints, pathInsertedMetadata } from './oauth-endpoints.ts';
import { registerPages } from './page.tsx';
import { registrationEndpoints } from './registration.ts';
import { registerRequestId, requestId } from './request-id.ts';
import { registerSecurityHeaders } from './security-headers.ts';
import { registerSessions } from './session.ts';
import { userInfoEndpoint } from './userinfo.ts';

const trustHops =
  (hops: number) =>
  (_address: string, hop: number): boolean =>
    hop < hops;

export async function buildApp(s: Services): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: s.log as FastifyBaseLogger,
    // One line per request costs throughput on the token endpoint; debug level turns it on.
    logController: new LogController({
      disableRequestLogging: s.config.logLevel !== 'debug' && s.config.logLevel !== 'trace',
    }),
    // Behind a proxy, per-address limits must see the client, not the proxy (LATCHKEY_TRUST_PROXY).
    // A hop count N believes the N nearest hops (Fastify's types omit the number form it supports).
    trustProxy:
      typeof s.config.trustProxy === 'number' ? trustHops(s.config.trustProxy) : s.config.trustProxy,
    return503OnClosing: true,
    genReqId: requestId,
    // request.log: a child made on its first line only (most requests log nothing).
    childLoggerFactory: (logger, bindings) => requestLogger(logger as Logger, bindings),
  });
  const metrics = createMetrics();
  registerSecurityHeaders(app);
  registerErrorHandler(app);
  registerRequestMetrics(app, metrics);
  registerRequestId(app);
  const stopObserving = observeServices(s, metrics);
  app.addHook('onClose', async () => stopObserving());
  await registerBodyParsers(app);
  registerPages(app, s);
  // The console counts token requests from the core's events: the core never imports the console.
  const stopCounting = countTokenActivity(s);
  app.addHook('onClose', async () => stopCounting());

  // Everything lives under the issuer's path (config.basePath, '' at the root; pages build their URLs
  // with ./urls.ts). Probes also answer at the root: a load balancer checks the instance directly.
  const prefix = s.config.basePath;
  await app.register(oauthEndpoints, { services: s, metrics, prefix });
  await app.register(registrationEndpoints, { services: s, prefix });
  await app.register(keyEndpoints, { services: s, prefix });
  await app.register(demoApi, { services: s, prefix });
  await app.register(userInfoEndpoint, { services: s, prefix });
  await app.register(healthEndpoints, { services: s, metrics });
  if (prefix) {
    await app.register(healthEndpoints, { services: s, metrics, prefix });
    await app.register(pathInsertedMetadata, { services: s });
  }
  // Pages for people, in their own context: only they parse and set cookies, so the endpoints that
  // programs call (token, introspection, API, admin API) run without the cookie plugin's hooks.
  await app.register(async (pages) => {
    await registerSessions(pages, s);
    await pages.register(loginPages, { services: s, prefix });
    // openid-client is loaded only where sign-in through the platform's provider is configured.
    if (s.config.loginOidc) {
      const { oidcLoginPages } = await import('./login-oidc.ts');
      await pages.register(oidcLoginPages, { services: s, prefix });
    }
    await pages.register(authorizePages, { services: s, prefix });
    await pages.register(logoutPages, { services: s, prefix });
    await pages.register(connectedAppsPages, { services: s, prefix });
    await pages.register(credentialsConsole, { services: s, prefix });
    await pages.register(membersConsole, { services: s, prefix });
  });
  await app.register(adminApi, { services: s, prefix: `${prefix}${adminPrefix}` });
  registerWebhooks(app, s, metrics);
  return app;
}
