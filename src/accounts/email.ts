/** The longest address SMTP carries (RFC 5321 §4.5.3.1: 64 for the local part, 255 for the domain). */
export const maxEmailLength = 320;

/**
 * `local@domain.tld` with no spaces: the check the sign-up, invitation and provider paths share. A
 * loop, not a pattern: the address is the caller's, and `[^\s@]+\.[^\s@]+` backtracks quadratically
 * on a crafted one (issue 28).
 */
export function isEmailAddress(email: string): boolean {
  if (email.length > maxEmailLength) return false;
  const at = email.indexOf('@');
  if (at < 1 || email.indexOf('@', at + 1) >= 0) return false;
  if ([...email].some((c) => c.trim() === '')) return false;
  // A dot inside the domain, with something before and after it.
  return email.slice(at + 2, -1).includes('.');
}
