import type { FastifyInstance } from 'fastify';
import { Counter, Gauge } from 'prom-client';
import type { Metrics } from '../http/metrics.ts';
import type { Services } from '../services.ts';
import { type Deliverer, webhookDeliverer } from './deliverer.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The webhook deliverer, when LATCHKEY_WEBHOOK_URL is set. */
    webhooks?: Deliverer;
  }
}

/**
 * Runs the webhook deliverer while the server runs (each instance, each worker: leases share the
 * work), and reports it in /metrics: attempts by outcome, and how long the oldest waiting event has
 * waited (every worker reads the same outbox: the server's value is their maximum).
 */
export function registerWebhooks(app: FastifyInstance, s: Services, metrics: Metrics): void {
  const webhook = s.config.webhook;
  if (!webhook) return;
  const deliveries = new Counter({
    name: 'latchkey_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome: delivered, failed (retried later), given_up (failing for 24 h)',
    labelNames: ['outcome'],
    registers: [metrics.registry],
  });
  for (const outcome of ['delivered', 'failed', 'given_up']) deliveries.inc({ outcome }, 0);
  new Gauge({
    name: 'latchkey_webhook_oldest_pending_seconds',
    help: 'Age of the oldest webhook event not yet delivered (0 when none waits)',
    registers: [metrics.registry],
    aggregator: 'max',
    async collect() {
      // A store that does not answer leaves the last value; /metrics itself keeps answering.
      const oldest = await s.store.outbox.oldestPending().catch(() => null);
      if (oldest !== null) this.set(oldest === undefined ? 0 : Math.max(0, (s.clock() - oldest) / 1000));
    },
  });
  const deliverer = webhookDeliverer(s, webhook, { onOutcome: (outcome) => deliveries.inc({ outcome }) });
  app.decorate('webhooks', deliverer);
  app.addHook('onReady', async () => deliverer.start());
  app.addHook('onClose', () => deliverer.stop());
}
