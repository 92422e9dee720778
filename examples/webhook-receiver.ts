/**
 * The platform's webhook endpoint (docs/platform.md): verifies each Standard Webhooks delivery with
 * the `standardwebhooks` package, drops repeats by `webhook-id` (delivery is at least once), and
 * answers 2xx quickly; anything else makes Latchkey retry with backoff for 24 hours.
 *
 *   LATCHKEY_WEBHOOK_SECRET=whsec_… PORT=4100 node --import tsx examples/webhook-receiver.ts
 *   # and start Latchkey with LATCHKEY_WEBHOOK_URL=http://127.0.0.1:4100/webhooks and the same secret
 *
 * It prints one line per event: `<type> <webhook-id> <json data>`.
 */
import { createServer } from 'node:http';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

const secret = process.env.LATCHKEY_WEBHOOK_SECRET;
if (!secret) {
  console.error('Set LATCHKEY_WEBHOOK_SECRET to the whsec_… value Latchkey signs with.');
  process.exit(2);
}
const verifier = new Webhook(secret);

/**
 * Ids already handled. In production this is a unique key in your database, written in the same
 * transaction as the effect of the event; a Set forgets on restart.
 */
const handled = new Set<string>();

function handle(event: { type: string; timestamp: string; data: Record<string, unknown> }, id: string): void {
  switch (event.type) {
    case 'client.created':
    case 'client.updated':
    case 'client.secret_rotated':
    case 'client.deleted':
    case 'client.secret_leaked':
    case 'grant.created':
    case 'grant.revoked':
    case 'member.invited':
      console.log(`${event.type} ${id} ${JSON.stringify(event.data)}`);
      return;
    default:
      // New event types may appear: accept them, so they are not retried for a day.
      console.log(`ignored ${event.type} ${id}`);
  }
}

const server = createServer((request, response) => {
  if (request.method !== 'POST' || request.url !== '/webhooks') {
    response.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    // Verify the raw bytes as received: re-serialised JSON would not match the signature.
    const body = Buffer.concat(chunks).toString('utf8');
    let event: { type: string; timestamp: string; data: Record<string, unknown> };
    try {
      // Checks webhook-signature over id.timestamp.body and refuses timestamps over 5 minutes off.
      event = verifier.verify(body, request.headers as Record<string, string>) as typeof event;
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      console.log(`refused: ${error.message}`);
      response.writeHead(400).end();
      return;
    }
    const id = String(request.headers['webhook-id']);
    if (handled.has(id)) {
      console.log(`duplicate ${id}`);
    } else {
      handled.add(id);
      handle(event, id);
    }
    response.writeHead(204).end();
  });
});

server.listen(Number(process.env.PORT ?? 4100), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address() as { address: string; port: number };
  console.log(`listening on http://${address}:${port}/webhooks`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
