// The webhook events the core announces, queued with the change that causes them.
// The protocol core's own types: src/store implements the storage interfaces here, never the reverse.

/** The Standard Webhooks event types Latchkey sends (DESIGN.md "Plugging into the platform"). */
export type WebhookEventType =
  | 'client.created'
  | 'client.updated'
  | 'client.secret_rotated'
  | 'client.deleted'
  | 'client.secret_leaked'
  | 'client.blocked'
  | 'grant.created'
  | 'grant.revoked'
  | 'member.invited';

/** Where the core queues a webhook event, in the transaction of the change it announces. */
export interface Outbox {
  /**
   * Queues an event, whichever process makes the change (the CLI too): the server that has
   * LATCHKEY_WEBHOOK_URL delivers it. Call it with the repositories of the change's own transaction
   * (`store.transaction`), so the event exists exactly when the change does.
   *
   * `sealed`: fields of `data` that are bearer secrets (an invitation link). They never sit in the
   * stored payload: they are encrypted under a key derived from LATCHKEY_WEBHOOK_SECRET, joined to
   * `data` only to be sent, and erased once the message is delivered or given up. A process without
   * that secret cannot seal them and stores them not at all (the event goes without them).
   */
  add(type: WebhookEventType, data: Record<string, unknown>, sealed?: Record<string, string>): Promise<void>;
}
