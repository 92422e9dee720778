/** People's passwords are low-entropy: argon2id (RFC 9106 defaults, second recommended option). */
const options = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

// The native module is loaded at the first sign-in, not at start (start time, idle memory).
const argon2 = () => import('@node-rs/argon2');

export const hashPassword = async (password: string): Promise<string> =>
  (await argon2()).hash(password, options);

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  const { verify } = await argon2();
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
