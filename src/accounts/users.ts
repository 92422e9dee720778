import type { Role, User } from '../oauth/model/accounts.ts';
import type { Store } from '../store/index.ts';
import { isEmailAddress } from './email.ts';
import { hashPassword, passwordProblem } from './passwords.ts';

/** Making people and memberships (CLI, seed, admin API) needs only the people's storage. */
export interface UserDeps {
  readonly store: Pick<Store, 'accounts'>;
}

export class AccountError extends Error {
  override name = 'AccountError';
  /** conflict: the email or external id belongs to someone else; invalid: anything else. */
  readonly kind: 'invalid' | 'conflict';
  constructor(message: string, kind: 'invalid' | 'conflict' = 'invalid') {
    super(message);
    this.kind = kind;
  }
}

export async function createUser(
  input: { email: string; password: string; orgId: string; role: Role; name?: string | null },
  s: UserDeps,
): Promise<User> {
  if (!isEmailAddress(input.email.trim())) throw new AccountError(`"${input.email}" is not an email address`);
  const problem = passwordProblem(input.password);
  if (problem) throw new AccountError(`Password: ${problem}`);
  if (!(await s.store.accounts.findOrganization(input.orgId)))
    throw new AccountError(`No organization with id ${input.orgId}`);
  if (await s.store.accounts.findUserByEmail(input.email))
    throw new AccountError(`A user with email ${input.email} exists`, 'conflict');
  const user = await s.store.accounts.createUser(input.email, await hashPassword(input.password), {
    name: input.name?.trim() || null,
  });
  await s.store.accounts.addMembership(input.orgId, user.id, input.role);
  return user;
}

export async function addMember(
  input: { email: string; orgId: string; role: Role },
  s: UserDeps,
): Promise<User> {
  const user = await s.store.accounts.findUserByEmail(input.email);
  if (!user)
    throw new AccountError(`No user with email ${input.email}; create one with "latchkey user create"`);
  if (!(await s.store.accounts.findOrganization(input.orgId)))
    throw new AccountError(`No organization with id ${input.orgId}`);
  await s.store.accounts.addMembership(input.orgId, user.id, input.role);
  return user;
}

/**
 * A person the platform provisions (admin API): no password, they sign in through the platform's
 * identity provider. Email and external id are unique.
 */
export async function provisionUser(
  input: { email: string; name?: string | null; externalId?: string | null },
  s: UserDeps,
): Promise<User> {
  if (!isEmailAddress(input.email.trim())) throw new AccountError(`"${input.email}" is not an email address`);
  if (await s.store.accounts.findUserByEmail(input.email))
    throw new AccountError(`A user with email ${input.email} exists`, 'conflict');
  if (input.externalId) {
    const same = await s.store.accounts.listUsers({ limit: 1 }, { externalId: input.externalId });
    if (same.items.length > 0)
      throw new AccountError(`A user with external_id ${input.externalId} exists`, 'conflict');
  }
  return s.store.accounts.createUser(input.email, '', { name: input.name, externalId: input.externalId });
}
