import type { Config } from '../config/index.ts';
import type { Membership } from '../oauth/model/accounts.ts';
import type { RateLimiter } from '../ratelimit/index.ts';
import type { Store } from '../store/index.ts';
import { hashPassword, verifyPassword } from './passwords.ts';

/** The signed-in person as pages see them (request.user). */
/** What sign-in and sessions need: people and sessions, the session lifetime, the limiter. */
export interface SessionDeps {
  readonly store: Pick<Store, 'accounts' | 'sessions'>;
  readonly config: Pick<Config, 'sessionTtl'>;
  readonly limiter: Pick<RateLimiter, 'hit' | 'undo'>;
}

export interface SessionUser {
  /** The cookie value; never logged, never rendered. */
  sessionId: string;
  userId: string;
  email: string;
  memberships: Membership[];
  /** The organization the console acts on; always one of `memberships` (or null with none). */
  activeOrgId: string | null;
  csrfToken: string;
  /**
   * When the person signed in, epoch ms: every sign-in starts a new session, so it is when the session
   * began (OpenID Connect `auth_time`; `prompt=login` and `max_age` compare with it).
   */
  signedInAt: number;
}

/** Starts a session; `activeOrgId` defaults to the person's first organization. */
export async function startSession(userId: string, s: SessionDeps): Promise<SessionUser | undefined> {
  const user = await s.store.accounts.findUser(userId);
  if (!user) return undefined;
  const memberships = await s.store.accounts.memberships(userId);
  const { id, session } = await s.store.sessions.create(
    userId,
    memberships[0]?.orgId ?? null,
    s.config.sessionTtl,
  );
  return {
    sessionId: id,
    userId,
    email: user.email,
    memberships,
    activeOrgId: session.activeOrgId,
    csrfToken: session.csrfToken,
    signedInAt: session.createdAt,
  };
}

/** The person behind a session cookie, or undefined when the session is unknown or expired. */
export async function loadSessionUser(sessionId: string, s: SessionDeps): Promise<SessionUser | undefined> {
  const session = await s.store.sessions.find(sessionId);
  if (!session) return undefined;
  const [user, memberships] = await Promise.all([
    s.store.accounts.findUser(session.userId),
    s.store.accounts.memberships(session.userId),
  ]);
  if (!user) return undefined;
  // A membership may have been removed since the session began: fall back to one that still exists.
  const active = memberships.find((m) => m.orgId === session.activeOrgId) ?? memberships[0];
  return {
    sessionId,
    userId: user.id,
    email: user.email,
    memberships,
    activeOrgId: active?.orgId ?? null,
    csrfToken: session.csrfToken,
    signedInAt: session.createdAt,
  };
}

/**
 * Failed sign-ins allowed per window before the next attempt must wait (OWASP ASVS 2.2.1). Counted
 * per (account, address) and per address, as client authentication is: a count per account alone
 * would let anyone lock a person out by typing wrong passwords for their email. Against guessing
 * spread over many addresses, an account with many failures is only slowed to one attempt per `paceMs`.
 */
export const loginLimits = {
  windowMs: 15 * 60_000,
  perAccountAndAddress: 5,
  perAddress: 20,
  /** Failures per account, from any address, after which its attempts are paced. */
  pacedAfter: 10,
  paceMs: 5_000,
};

export type PasswordCheck =
  | { ok: true; userId: string }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'throttled'; retryAfter: number };

// Unknown emails still pay for one argon2 verification, so timing does not tell which emails exist.
let dummyHash: Promise<string> | undefined;

/**
 * Checks an email and password, slowing repeated failures. Each attempt is counted (one atomic
 * increment per counter, in Redis where configured) before argon2 runs, so parallel attempts cannot
 * all pass a check made before any of them was counted; an attempt refused, or one whose password
 * was right, is then taken back, so the counts stay failures (and attempts in flight). A success
 * does not reset the count (an attacker could interleave a known password).
 */
export async function checkPassword(
  email: string,
  password: string,
  ip: string,
  s: SessionDeps,
): Promise<PasswordCheck> {
  const { windowMs, perAccountAndAddress, perAddress, pacedAfter, paceMs } = loginLimits;
  const account = email.trim().toLowerCase();
  const counted = [
    { key: `login:account-address:${account}:${ip}`, limit: perAccountAndAddress },
    { key: `login:address:${ip}`, limit: perAddress },
    { key: `login:account:${account}`, limit: pacedAfter },
  ];
  const [byAccountAndAddress, byAddress, byAccount] = await Promise.all(
    counted.map(({ key, limit }) => s.limiter.hit(key, limit, windowMs)),
  );
  const takeBack = () => Promise.all(counted.map(({ key }) => s.limiter.undo(key, windowMs)));
  const refusals = [byAccountAndAddress!, byAddress!].filter((d) => !d.allowed);
  // Past `pacedAfter` failures, one attempt per pace window, whoever makes it (not taken back). An
  // attempt already refused above does not take the turn of the next one.
  if (refusals.length === 0 && !byAccount!.allowed) {
    const pace = await s.limiter.hit(`login:pace:${account}`, 1, paceMs);
    if (!pace.allowed) refusals.push(pace);
  }
  if (refusals.length > 0) {
    await takeBack();
    return { ok: false, reason: 'throttled', retryAfter: Math.max(...refusals.map((d) => d.retryAfter)) };
  }
  const user = await s.store.accounts.findUserByEmail(email);
  dummyHash ??= hashPassword('not a real password, only for timing');
  const ok = user
    ? await verifyPassword(user.passwordHash, password)
    : (await verifyPassword(await dummyHash, password)) && false;
  if (ok && user) {
    await takeBack();
    return { ok: true, userId: user.id };
  }
  return { ok: false, reason: 'invalid' };
}
