import type { Services } from '../services.ts';
import type { Role, User } from '../store/accounts.ts';
import { hashPassword, passwordProblem } from './passwords.ts';

export class AccountError extends Error {
  override name = 'AccountError';
}

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export async function createUser(
  input: { email: string; password: string; orgId: string; role: Role },
  s: Services,
): Promise<User> {
  if (!emailPattern.test(input.email.trim()))
    throw new AccountError(`"${input.email}" is not an email address`);
  const problem = passwordProblem(input.password);
  if (problem) throw new AccountError(`Password: ${problem}`);
  if (!(await s.store.accounts.findOrganization(input.orgId)))
    throw new AccountError(`No organization with id ${input.orgId}`);
  if (await s.store.accounts.findUserByEmail(input.email))
    throw new AccountError(`A user with email ${input.email} exists`);
  const user = await s.store.accounts.createUser(input.email, await hashPassword(input.password));
  await s.store.accounts.addMembership(input.orgId, user.id, input.role);
  return user;
}

export async function addMember(
  input: { email: string; orgId: string; role: Role },
  s: Services,
): Promise<User> {
  const user = await s.store.accounts.findUserByEmail(input.email);
  if (!user)
    throw new AccountError(`No user with email ${input.email}; create one with "latchkey user create"`);
  if (!(await s.store.accounts.findOrganization(input.orgId)))
    throw new AccountError(`No organization with id ${input.orgId}`);
  await s.store.accounts.addMembership(input.orgId, user.id, input.role);
  return user;
}
