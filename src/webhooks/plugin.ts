import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { type Deliverer, webhookDeliverer } from './deliverer.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The webhook deliverer, when LATCHKEY_WEBHOOK_URL is set. */
    webhooks?: Deliverer;
  }
}

/** Runs the webhook deliverer while the server runs (each instance, each worker: leases share the work). */
export function registerWebhooks(app: FastifyInstance, s: Services): void {
  const webhook = s.config.webhook;
  if (!webhook) return;
  const deliverer = webhookDeliverer(s, webhook);
  app.decorate('webhooks', deliverer);
  app.addHook('onReady', async () => deliverer.start());
  app.addHook('onClose', () => deliverer.stop());
}
