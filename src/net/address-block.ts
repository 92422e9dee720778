import { isIP } from 'node:net';

/**
 * What a per-address limit counts by: an IPv4 address itself, an IPv6 address by its /64 (RFC 6177
 * §2: a subscriber is given at least a /64, so one caller may use any of its 2^64 addresses). An
 * IPv4-mapped IPv6 address counts as its IPv4 address.
 */
export function addressBlock(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const address = ip.toLowerCase();
  if (address.startsWith('::ffff:') && isIP(address.slice(7)) === 4) return address.slice(7);
  const groups = (part: string): string[] => {
    if (part === '') return [];
    const parts = part.split(':');
    // A dotted IPv4 tail (::1.2.3.4) stands for the last two groups.
    if (parts.at(-1)!.includes('.')) parts.splice(-1, 1, '0', '0');
    return parts;
  };
  const [head = '', tail] = address.split('::');
  const before = groups(head);
  const after = tail === undefined ? [] : groups(tail);
  const all = [...before, ...Array(8 - before.length - after.length).fill('0'), ...after];
  return `${all
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
