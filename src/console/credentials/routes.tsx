/**
 * Settings → API: the credentials console. Server-rendered forms that work without
 * JavaScript; every POST carries the session's CSRF token; every change lands in the audit log
 * through src/oauth/client-registration.ts.
 *
 * The Client Secret appears in exactly one response: the POST that generated it (create or rotate),
 * sent with `Cache-Control: no-store` (RFC 9111 §5.2.2.5). It is never stored in a retrievable form,
 * never put in a URL, and never logged.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.ts';
import { stopActivity } from '../activity.ts';
import { serveConsoleAssets } from '../assets.ts';
import { consoleContext } from './console-context.tsx';
import { detailAndEditRoutes } from './edit-routes.tsx';
import { listAndGenerateRoutes } from './list-routes.tsx';
import { rotateAndDeleteRoutes } from './rotate-delete-routes.tsx';

export async function credentialsConsole(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const s = opts.services;
  serveConsoleAssets(app);
  // Shutdown: write the activity counts still in memory while the store is open.
  app.addHook('onClose', async () => stopActivity(s));

  const c = consoleContext(s);

  listAndGenerateRoutes(app, c);
  detailAndEditRoutes(app, c);
  rotateAndDeleteRoutes(app, c);
}
