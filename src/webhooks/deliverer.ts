import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { Services } from '../services.ts';
import type { OutboxMessage } from '../store/outbox.ts';

/** Standard Webhooks: retry for a day, then give up and keep the message as failed. */
export const retryWindowMs = 24 * 3_600_000;
const firstRetryMs = 2_000;
const maxRetryMs = 3_600_000;
/** Longer than a send can take (timeout below): a live deliverer never loses its lease mid-send. */
const leaseMs = 60_000;
const timeoutMs = 10_000;

/**
 * Exponential backoff with jitter (2 s, 4 s, 8 s … capped at 1 h, each drawn from its upper half), so
 * many messages failing together do not retry together.
 */
export function backoffMs(attempts: number, random = Math.random): number {
  const ceiling = Math.min(firstRetryMs * 2 ** Math.max(attempts - 1, 0), maxRetryMs);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** What became of an attempt, for /metrics: sent, not accepted (retried later), or given up. */
export type DeliveryOutcome = 'delivered' | 'failed' | 'given_up';

export interface Deliverer {
  /** Claims what is due and sends it; resolves with the number of messages attempted. */
  runOnce(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Sends the outbox to LATCHKEY_WEBHOOK_URL, at least once: a message leaves the outbox only after a
 * 2xx. Messages are leased (store outbox `claim`), so several instances share the work without two
 * sending the same message at once; a lease left by a killed instance runs out and another takes it.
 */
export function webhookDeliverer(
  s: Services,
  webhook: { url: string; secret: string },
  options: { pollMs?: number; batch?: number; onOutcome?: (outcome: DeliveryOutcome) => void } = {},
): Deliverer {
  const signer = new Webhook(webhook.secret);
  const instance = randomUUID();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  async function send(message: OutboxMessage, owner: string): Promise<void> {
    const now = s.clock();
    // Signed at each attempt: receivers refuse old timestamps (replay protection).
    const sentAt = new Date(now);
    const report = options.onOutcome ?? (() => {});
    if (message.unsealable) {
      s.log.warn(
        { webhookId: message.id, type: message.type },
        'a secret field of this webhook could not be opened (LATCHKEY_WEBHOOK_SECRET changed?); sent without it',
      );
    }
    let error: string;
    try {
      const response = await fetch(webhook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Latchkey-Webhooks/1',
          'webhook-id': message.id,
          'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
          'webhook-signature': signer.sign(message.id, sentAt, message.payload),
        },
        body: message.payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body?.cancel();
      if (response.status >= 200 && response.status < 300) {
        await s.store.outbox.delivered(message.id, owner, s.clock());
        report('delivered');
        return;
      }
      error = `HTTP ${response.status}`;
    } catch (cause) {
      error = (cause as Error).message;
    }
    const attempts = message.attempts + 1;
    const nextAt = s.clock() + backoffMs(attempts);
    if (nextAt > message.createdAt + retryWindowMs) {
      s.log.warn(
        { webhookId: message.id, type: message.type, attempts, error },
        'webhook failed for 24 h; given up',
      );
      await s.store.outbox.failed(message.id, owner, s.clock(), error);
      report('given_up');
    } else {
      s.log.warn(
        { webhookId: message.id, type: message.type, attempts, error },
        'webhook not accepted; will retry',
      );
      await s.store.outbox.retry(message.id, owner, nextAt, error);
      report('failed');
    }
  }

  async function run(): Promise<number> {
    const owner = `${instance}:${randomUUID()}`;
    const messages = await s.store.outbox.claim(owner, s.clock(), leaseMs, options.batch ?? 20);
    // In order, one at a time: receivers see events in the order they happened when all goes well.
    for (const message of messages) await send(message, owner);
    return messages.length;
  }

  const deliverer: Deliverer = {
    runOnce() {
      running ??= run().finally(() => {
        running = undefined;
      });
      return running;
    },
    start() {
      timer ??= setInterval(() => {
        deliverer.runOnce().catch((error) => s.log.warn({ err: error }, 'webhook delivery round failed'));
      }, options.pollMs ?? 1000);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running?.catch(() => {});
    },
  };
  return deliverer;
}
