import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { AccountRepository } from '../oauth/model/accounts.ts';
import type { AuditRepository } from '../oauth/model/audit.ts';
import type { AuthorizationRequestRepository } from '../oauth/model/authorization-requests.ts';
import type { ClientRepository } from '../oauth/model/clients.ts';
import type { CodeRepository } from '../oauth/model/codes.ts';
import type { GrantRepository } from '../oauth/model/grants.ts';
import type { InitialAccessTokenRepository } from '../oauth/model/initial-access-tokens.ts';
import type { LeakedSecretRepository } from '../oauth/model/leaked-secrets.ts';
import type { PushedRequestRepository } from '../oauth/model/pushed-requests.ts';
import type { RefreshTokenRepository } from '../oauth/model/refresh-tokens.ts';
import type { RevocationRepository } from '../oauth/model/revocations.ts';
import type { SeenValueRepository } from '../oauth/model/seen-values.ts';
import { accountRepository } from './accounts.ts';
import { type ActivityRepository, activityRepository } from './activity.ts';
import { announcingChanges } from './announced-changes.ts';
import { auditRepository } from './audit.ts';
import { authorizationRequestRepository } from './authorization-requests.ts';
import { cachedClients } from './cached-clients.ts';
import { cachedTokenStatus } from './cached-token-status.ts';
import type { ChangeKind, ChangeNotices } from './change-notices.ts';
import { clientRepository } from './clients.ts';
import { codeRepository } from './codes.ts';
import { type DatabaseOptions, type Dialect, exclusively, migrate, openDatabase } from './db.ts';
import { grantRepository } from './grants.ts';
import { initialAccessTokenRepository } from './initial-access-tokens.ts';
import { type InvitationRepository, invitationRepository } from './invitations.ts';
import { type KeyRepository, keyRepository } from './keys.ts';
import { leakedSecretRepository } from './leaked-secrets.ts';
import { type LoginIdentityRepository, loginIdentityRepository } from './login-identities.ts';
import type { CacheLifetimes } from './notice-cache.ts';
import { type StoreObserver, storeObservers } from './observer.ts';
import { type OutboxRepository, outboxRepository } from './outbox.ts';
import { pushedRequestRepository } from './pushed-requests.ts';
import { refreshTokenRepository } from './refresh-tokens.ts';
import { revocationRepository } from './revocations.ts';
import type { Database } from './schema.ts';
import { seenValueRepository } from './seen-values.ts';
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
  /** Webhook events waiting for delivery. */
  outbox: OutboxRepository;
  /**
   * Runs `fn` in one database transaction: everything it does through the repositories it is given
   * commits or rolls back together (a change and its webhook event). Use only those inside `fn`:
   * on SQLite a query through the outer store would wait for the transaction and never return.
   */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
  /** People from the platform's OpenID provider and their synchronised memberships. */
  loginIdentities: LoginIdentityRepository;
  /** The Members page: invitations and access requests. */
  invitations: InvitationRepository;
  /** Pushed authorization requests (RFC 9126). */
  pushedRequests: PushedRequestRepository;
  /** One-time values: assertion and DPoP proof `jti`s, DPoP nonces. */
  seenValues: SeenValueRepository;
  /** Client secrets reported leaked by a secret scanner. */
  leakedSecrets: LeakedSecretRepository;
  /** RFC 7591 initial access tokens (LATCHKEY_DYNAMIC_REGISTRATION=token). */
  initialAccessTokens: InitialAccessTokenRepository;
  dialect: Dialect;
  /** Applies pending migrations (under the lock of `exclusively`); returns their names. */
  migrate(): Promise<string[]>;
  /**
   * Runs `fn` while no other process runs it on this database (PostgreSQL: an advisory lock held on
   * the one connection `locked` uses): the start's one-time steps, done once when instances start
   * together.
   */
  exclusively<T>(fn: (locked: LockedStore) => Promise<T>): Promise<T>;
  /** Every row of one table as stored: for checking what is at rest (tests) and for export. */
  rows(table: keyof Database): Promise<Record<string, unknown>[]>;
  /** Watches query durations and cache lookups (for /metrics); returns the function that stops it. */
  observe(observer: StoreObserver): () => void;
  /** Readiness: the database answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type Repositories = Omit<
  Store,
  'transaction' | 'dialect' | 'migrate' | 'exclusively' | 'rows' | 'observe' | 'ping' | 'close'
>;

/** What the start's one-time steps use, on the connection that holds the lock. */
export interface LockedStore {
  keys: KeyRepository;
  migrate(): Promise<string[]>;
}

function repositories(db: Kysely<Database>, clock: Clock, outboxKey: Buffer | undefined): Repositories {
  const outbox = (tx: Kysely<Database>) => outboxRepository(tx, clock, outboxKey);
  return {
    accounts: accountRepository(db, clock),
    clients: clientRepository(db, clock),
    keys: keyRepository(db),
    grants: grantRepository(db, outbox),
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
    initialAccessTokens: initialAccessTokenRepository(db),
    loginIdentities: loginIdentityRepository(db, clock),
    invitations: invitationRepository(db, clock),
    outbox: outbox(db),
  };
}

export async function openStore(
  location: string,
  clock: Clock,
  /** outboxKey: seals the webhook outbox's secret fields (src/store/outbox.ts `outboxSealKey`). */
  options: DatabaseOptions & { migrate?: boolean; outboxKey?: Buffer; notices?: ChangeNotices } = {},
): Promise<Store> {
  const observers = storeObservers();
  const { db, dialect, changes, close } = await openDatabase(location, {
    ...options,
    onQuery: observers.query,
  });
  if (options.migrate !== false) {
    await exclusively(db, dialect, migrate).catch(async (error) => {
      await close();
      throw error;
    });
  }
  const { outboxKey, notices } = options;
  // Outside a transaction a write has committed when it returns: its notices go out at once.
  const base = announcingChanges(repositories(db, clock, outboxKey), (kind, id) =>
    notices?.publish(kind, id),
  );
  const lifetimes = notices && cacheLifetimes(notices, changes !== undefined);
  const cacheOptions = (cache: 'clients' | 'token_status', l: CacheLifetimes) => ({
    ...l,
    otherCommits: changes?.otherCommits,
    onLookup: (hit: boolean) => observers.cacheLookup(cache, hit),
  });
  return {
    ...base,
    clients: lifetimes
      ? cachedClients(base.clients, notices, clock, cacheOptions('clients', lifetimes))
      : base.clients,
    revocations: lifetimes
      ? cachedTokenStatus(base.revocations, notices, clock, cacheOptions('token_status', lifetimes))
      : base.revocations,
    observe: observers.add,
    async transaction(fn) {
      const pending = new Map<string, [ChangeKind, string]>();
      const result = await db.transaction().execute((tx) =>
        fn(
          announcingChanges(repositories(tx, clock, outboxKey), (kind, id) => {
            pending.set(`${kind} ${id}`, [kind, id]);
          }),
        ),
      );
      // Announced after the commit: a notice sent earlier would let an instance re-read the old row.
      for (const [kind, id] of pending.values()) await notices?.publish(kind, id);
      return result;
    },
    dialect,
    migrate: () => exclusively(db, dialect, migrate),
    exclusively: (fn) =>
      exclusively(db, dialect, (locked) =>
        fn({ keys: keyRepository(locked), migrate: () => migrate(locked) }),
      ),
    rows: (table) => db.selectFrom(table).selectAll().execute(),
    async ping() {
      await db.selectFrom('organizations').select('id').limit(1).execute();
    },
    close,
  };
}

/**
 * How long clients and token statuses stay cached, when changes made elsewhere can reach this
 * process. With shared notices (Redis, or PostgreSQL's LISTEN/NOTIFY), changes anywhere (instances,
 * the CLI) drop entries at once, and the lifetime is a backstop (1 s while notices are away). On
 * SQLite, lookups ask (at most every 100 ms) whether another connection committed (PRAGMA
 * data_version), so the lifetime only bounds memory of idle entries. PostgreSQL with notices that
 * stay in this process caches nothing: other instances could not tell this one.
 */
function cacheLifetimes(notices: ChangeNotices, seesOtherCommits: boolean): CacheLifetimes | undefined {
  if (notices.shared) return { ttlMs: 5_000, degradedTtlMs: 1_000 };
  return seesOtherCommits ? { ttlMs: 60_000, degradedTtlMs: 60_000 } : undefined;
}
