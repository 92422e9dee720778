import type { Clock } from '../clock.ts';
import { type AccountRepository, accountRepository } from './accounts.ts';
import { type ActivityRepository, activityRepository } from './activity.ts';
import { type AuditRepository, auditRepository } from './audit.ts';
import {
  type AuthorizationRequestRepository,
  authorizationRequestRepository,
} from './authorization-requests.ts';
import { type ClientRepository, clientRepository } from './clients.ts';
import { type CodeRepository, codeRepository } from './codes.ts';
import { type DatabaseOptions, type Dialect, migrate, openDatabase } from './db.ts';
import { type GrantRepository, grantRepository } from './grants.ts';
import { type KeyRepository, keyRepository } from './keys.ts';
import { type LeakedSecretRepository, leakedSecretRepository } from './leaked-secrets.ts';
import { type PushedRequestRepository, pushedRequestRepository } from './pushed-requests.ts';
import { type RefreshTokenRepository, refreshTokenRepository } from './refresh-tokens.ts';
import { type RevocationRepository, revocationRepository } from './revocations.ts';
import type { Database } from './schema.ts';
import { type SeenValueRepository, seenValueRepository } from './seen-values.ts';
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
  /** The console's per-client token counts. */
  activity: ActivityRepository;
  /** Pushed authorization requests (RFC 9126). */
  pushedRequests: PushedRequestRepository;
  /** One-time values: assertion and DPoP proof `jti`s, DPoP nonces. */
  seenValues: SeenValueRepository;
  /** Client secrets reported leaked by a secret scanner. */
  leakedSecrets: LeakedSecretRepository;
  dialect: Dialect;
  /** Applies pending migrations; returns their names. */
  migrate(): Promise<string[]>;
  /** Every row of one table as stored: for checking what is at rest (tests) and for export. */
  rows(table: keyof Database): Promise<Record<string, unknown>[]>;
  /** Readiness: the database answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openStore(
  location: string,
  clock: Clock,
  options: DatabaseOptions & { migrate?: boolean } = {},
): Promise<Store> {
  const { db, dialect, close } = openDatabase(location, options);
  if (options.migrate !== false) await migrate(db);
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
    activity: activityRepository(db),
    pushedRequests: pushedRequestRepository(db),
    seenValues: seenValueRepository(db),
    leakedSecrets: leakedSecretRepository(db),
    dialect,
    migrate: () => migrate(db),
    rows: (table) => db.selectFrom(table).selectAll().execute(),
    async ping() {
      await db.selectFrom('organizations').select('id').limit(1).execute();
    },
    close,
  };
}
