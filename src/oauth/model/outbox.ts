// The webhook events the core announces, queued with the change that causes them.
// The protocol core's own types: src/store implements the storage interfaces here, never the reverse.

/** The Standard Webhooks event types Latchkey sends (DESIGN.md "Plugging into the platform"). */
export type WebhookEventType =
  | 'client.created'
  | 'client.updated'
  | 'client.secret_rotated'
  | 'client.deleted'
  | 'client.secret_leaked'
  | 'grant.created'
  | 'grant.revoked'
  | 'member.invited';

/** Where the core queues a webhook event, in the transaction of the change it announces. */
export interface Outbox {
  /**
   * Queues an event. Call it with the repositories of the change's own transaction
   * (`store.transaction`), so the event exists exactly when the change does. A no-op while no
   * webhook is configured.
   */
  add(type: WebhookEventType, data: Record<string, unknown>): Promise<void>;
}
