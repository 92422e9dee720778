// The audit log: who did what to which client, in which organization.
// The protocol core's own types: src/store implements the storage interfaces here, never the reverse.
import type { Page, PageQuery } from './pages.ts';

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

export interface AuditFilter {
  orgId?: string;
  /** One client, or any of several. */
  clientId?: string | readonly string[];
  actions?: readonly string[];
  since?: number;
}

export interface AuditRepository {
  record(event: Omit<AuditEvent, 'id' | 'createdAt'>): Promise<void>;
  /** Newest first (ties in a stable order); at most `limit` (100). */
  list(filter: AuditFilter & { limit?: number }): Promise<AuditEvent[]>;
  count(filter: AuditFilter): Promise<number>;
  /** Newest first, walked by cursor (the admin API). */
  page(filter: AuditFilter, page: PageQuery): Promise<Page<AuditEvent>>;
}
