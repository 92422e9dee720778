import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import { newId } from '../crypto.ts';
import type { AuditEvent, AuditFilter, AuditRepository } from '../oauth/model/audit.ts';
import { afterCursor, toPage } from './pages.ts';
import type { Database } from './schema.ts';

const toEvent = (r: Database['audit_events']): AuditEvent => ({
  id: r.id,
  orgId: r.org_id,
  actor: r.actor,
  clientId: r.client_id,
  action: r.action,
  detail: JSON.parse(r.detail),
  createdAt: r.created_at,
});

export function auditRepository(db: Kysely<Database>, clock: Clock): AuditRepository {
  const select = ({ orgId, clientId, actions, since }: AuditFilter) => {
    let q = db.selectFrom('audit_events');
    if (orgId !== undefined) q = q.where('org_id', '=', orgId);
    if (typeof clientId === 'string') q = q.where('client_id', '=', clientId);
    // An empty list matches nothing; `in ()` is a syntax error on PostgreSQL.
    else if (clientId) q = q.where('client_id', 'in', clientId.length ? [...clientId] : ['']);
    if (actions) q = q.where('action', 'in', actions.length ? [...actions] : ['']);
    if (since !== undefined) q = q.where('created_at', '>=', since);
    return q;
  };
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
    async list({ limit = 100, ...filter }) {
      const rows = await select(filter)
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map(toEvent);
    },
    async page(filter, { limit, after }) {
      let q = select(filter)
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1);
      if (after) q = q.where(afterCursor('audit_events', after, { descending: true }));
      return toPage((await q.execute()).map(toEvent), limit, (e) => ({ createdAt: e.createdAt, id: e.id }));
    },
    async count(filter) {
      const r = await select(filter)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}
