import { hash, verify } from '@node-rs/argon2';

/** People's passwords are low-entropy: argon2id (RFC 9106 defaults, second recommended option). */
const options = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export const hashPassword = (password: string): Promise<string> => hash(password, options);

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

export function passwordProblem(password: string): string | undefined {
  if (password.length < 10) return 'Use at least 10 characters';
  if (password.length > 256) return 'Use at most 256 characters';
  return undefined;
}
