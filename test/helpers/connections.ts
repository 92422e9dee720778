import { expect } from 'vitest';
import type { Latchkey, TestClient } from './latchkey.ts';
import { introspect, tokenRequest } from './oauth-flow.ts';
import type { startReceiver } from './webhook-receiver.ts';

export const callbackUri = 'http://127.0.0.1:9999/callback';

/** An app a person connected: the tokens of one grant. */
export interface Connection {
  grantId: string;
  /** The organization chosen at consent (the token's org_id). */
  orgId: string;
  accessToken: string;
  refreshToken: string;
}

/** Redeems a code from the callback (RFC 6749 §4.1.3): the tokens of the new grant. */
export async function redeem(
  lk: Latchkey,
  client: TestClient,
  code: string,
  verifier: string,
): Promise<Connection> {
  const t = await tokenRequest(lk, client, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: callbackUri,
    code_verifier: verifier,
  });
  expect(t.status).toBe(200);
  const accessToken = String(t.body.access_token);
  const claims = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString());
  return {
    grantId: claims.gid,
    orgId: claims.org_id,
    accessToken,
    refreshToken: String(t.body.refresh_token),
  };
}

/** Refresh (RFC 6749 §6) and introspection (RFC 7662) of a connection, as its client sees them. */
export async function state(lk: Latchkey, client: TestClient, c: Connection) {
  const active = (await introspect(lk, client, c.accessToken)).active;
  const refreshed = await tokenRequest(lk, client, {
    grant_type: 'refresh_token',
    refresh_token: c.refreshToken,
  });
  // A successful refresh rotates the token: keep the new one for the next look.
  if (refreshed.status === 200) c.refreshToken = String(refreshed.body.refresh_token);
  return { active, refresh: refreshed.status === 200 ? 'ok' : refreshed.body.error };
}

/** The grant.revoked webhooks delivered so far, by grant id. */
export async function revokedWebhooks(
  lk: Latchkey,
  receiver: Awaited<ReturnType<typeof startReceiver>>,
): Promise<string[]> {
  const deliverer = lk.server.app.webhooks!;
  while ((await deliverer.runOnce()) > 0);
  return receiver.received
    .map((r) => JSON.parse(r.body) as { type: string; data: { id: string } })
    .filter((e) => e.type === 'grant.revoked')
    .map((e) => e.data.id);
}

/** The grant.revoked audit events of an organization: grant id → actor and reason. */
export async function revokedAudit(lk: Latchkey, orgId: string) {
  const events = await lk.services.store.audit.list({ orgId, actions: ['grant.revoked'], limit: 100 });
  return events.map((e) => ({ grantId: e.detail.grantId, actor: e.actor, reason: e.detail.reason }));
}
