import { randomBytes } from 'node:crypto';

/**
 * One-time form tokens: a generate or rotate form that is submitted twice (reload of the result
 * page, back button) must not create a second credential or expire the secret just shown. Kept in
 * memory: at worst a restart forgets them, and the second submit then acts like a new one.
 */
export function onceTokens(clock: () => number) {
  const used = new Map<string, { clientId: string | undefined; at: number }>();
  const ttlMs = 24 * 3_600_000;
  return {
    issue: (): string => randomBytes(16).toString('base64url'),
    /** Claims a token; returns the earlier use when it was claimed before. */
    claim(token: string): { clientId: string | undefined } | undefined {
      if (!/^[A-Za-z0-9_-]{22}$/.test(token)) return undefined;
      const now = clock();
      const earlier = used.get(token);
      if (earlier && now - earlier.at < ttlMs) return earlier;
      if (used.size > 10_000) {
        for (const [k, v] of used) if (now - v.at >= ttlMs) used.delete(k);
        if (used.size > 10_000) used.delete(used.keys().next().value!);
      }
      used.set(token, { clientId: undefined, at: now });
      return undefined;
    },
    settle(token: string, clientId: string): void {
      const entry = used.get(token);
      if (entry) entry.clientId = clientId;
    },
  };
}
