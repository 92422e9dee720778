/**
 * The storage each part of the protocol core needs, and nothing more (fosite's per-handler storage
 * interfaces). `src/store` implements every one of them for SQLite and PostgreSQL; the core depends on
 * these narrow views, so a reader sees at a glance what a flow may read or write.
 */
import type { AuditRepository } from '../store/audit.ts';
import type { AuthorizationRequestRepository } from '../store/authorization-requests.ts';
import type { ClientRepository } from '../store/clients.ts';
import type { CodeRepository } from '../store/codes.ts';
import type { GrantRepository } from '../store/grants.ts';

/**
 * The authorization endpoint and consent (RFC 6749 §4.1.1–4.1.2): read the registration, park the
 * request while the person signs in, take it once, look up earlier consent, record the new grant and
 * its code.
 */
export interface AuthorizationFlowStorage {
  readonly clients: Pick<ClientRepository, 'find'>;
  readonly authorizationRequests: Pick<AuthorizationRequestRepository, 'create' | 'find' | 'take'>;
  readonly grants: Pick<GrantRepository, 'activeFor' | 'create'>;
  readonly codes: Pick<CodeRepository, 'create'>;
  readonly audit: Pick<AuditRepository, 'record'>;
}
