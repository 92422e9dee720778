import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import { newId } from '../crypto.ts';
import type { Database } from './schema.ts';

export interface AuditEvent {
  id: string;
  orgId: string | null;
  /** Who did it: a user id, `cli`, or `system`. */
  actor: string | null;
  clientId: string | null;
  action: string;
  detail: Record<string, unknown>;
  createdAt: number;
}

export interface AuditRepository {
  record(event: Omit<AuditEvent, 'id' | 'createdAt'>): Promise<void>;
  list(filter: { orgId?: string; clientId?: string; since?: number; limit?: number }): Promise<AuditEvent[]>;
}

export function auditRepository(db: Kysely<Database>, clock: Clock): AuditRepository {
  return {
    async record(e) {
      await db
        .insertInto('audit_events')
        .values({
          id: newId(),
          org_id: e.orgId,
          actor: e.actor,
          client_id: e.clientId,
          action: e.action,
          detail: JSON.stringify(e.detail),
          created_at: clock(),
        })
        .execute();
    },
    async list({ orgId, clientId, since, limit = 100 }) {
      let q = db.selectFrom('audit_events').selectAll().orderBy('created_at', 'desc').limit(limit);
      if (orgId) q = q.where('org_id', '=', orgId);
      if (clientId) q = q.where('client_id', '=', clientId);
      if (since !== undefined) q = q.where('created_at', '>=', since);
      return (await q.execute()).map((r) => ({
        id: r.id,
        orgId: r.org_id,
        actor: r.actor,
        clientId: r.client_id,
        action: r.action,
        detail: JSON.parse(r.detail),
        createdAt: r.created_at,
      }));
    },
  };
}
