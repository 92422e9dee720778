import type { Clock } from '../clock.ts';
import { type AccountRepository, accountRepository } from './accounts.ts';
import { type AuditRepository, auditRepository } from './audit.ts';
import {
  type AuthorizationRequestRepository,
  authorizationRequestRepository,
} from './authorization-requests.ts';
import { type ClientRepository, clientRepository } from './clients.ts';
import { type CodeRepository, codeRepository } from './codes.ts';
import { type DatabaseOptions, type Db, migrate, openDatabase } from './db.ts';
import { type GrantRepository, grantRepository } from './grants.ts';
import { type KeyRepository, keyRepository } from './keys.ts';
import { type RefreshTokenRepository, refreshTokenRepository } from './refresh-tokens.ts';
import { type RevocationRepository, revocationRepository } from './revocations.ts';
import { type SessionRepository, sessionRepository } from './sessions.ts';

/** Per-concern repositories over one database. The protocol core sees only these interfaces. */
export interface Store {
  accounts: AccountRepository;
  clients: ClientRepository;
  keys: KeyRepository;
  grants: GrantRepository;
  revocations: RevocationRepository;
  audit: AuditRepository;
  sessions: SessionRepository;
  codes: CodeRepository;
  refreshTokens: RefreshTokenRepository;
  authorizationRequests: AuthorizationRequestRepository;
  /** Readiness: the database answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
  raw: Db;
}

export async function openStore(
  location: string,
  clock: Clock,
  options: DatabaseOptions & { migrate?: boolean } = {},
): Promise<Store> {
  const raw = openDatabase(location, options);
  if (options.migrate !== false) await migrate(raw.db);
  const { db } = raw;
  return {
    accounts: accountRepository(db, clock),
    clients: clientRepository(db, clock),
    keys: keyRepository(db),
    grants: grantRepository(db),
    revocations: revocationRepository(db),
    audit: auditRepository(db, clock),
    sessions: sessionRepository(db, clock),
    codes: codeRepository(db),
    refreshTokens: refreshTokenRepository(db),
    authorizationRequests: authorizationRequestRepository(db),
    async ping() {
      await db.selectFrom('organizations').select('id').limit(1).execute();
    },
    close: () => raw.close(),
    raw,
  };
}
