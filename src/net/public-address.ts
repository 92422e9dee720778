import { BlockList, isIP } from 'node:net';

/**
 * Which addresses an outbound fetch made for a caller (a client's `jwks_uri`, a client metadata
 * document) may reach: public unicast only, never this machine or the operator's network (RFC 9700
 * §4.16 on server-side request forgery). The ranges are the special-purpose registries of RFC 6890
 * (IPv4) and RFC 6890/RFC 4291 (IPv6). BlockList also matches IPv4 rules against IPv4-mapped IPv6
 * addresses (::ffff:127.0.0.1), so a mapped address is judged as the IPv4 address it carries.
 */
const reserved = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network", the unspecified address (RFC 791, RFC 1122)
  ['10.0.0.0', 8], // private (RFC 1918)
  ['100.64.0.0', 10], // shared address space, carrier-grade NAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata services (RFC 3927)
  ['172.16.0.0', 12], // private (RFC 1918)
  ['192.0.0.0', 24], // IETF protocol assignments (RFC 6890)
  ['192.0.2.0', 24], // documentation, TEST-NET-1 (RFC 5737)
  ['192.88.99.0', 24], // 6to4 relay anycast (RFC 7526)
  ['192.168.0.0', 16], // private (RFC 1918)
  ['198.18.0.0', 15], // benchmarking (RFC 2544)
  ['198.51.100.0', 24], // documentation, TEST-NET-2 (RFC 5737)
  ['203.0.113.0', 24], // documentation, TEST-NET-3 (RFC 5737)
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address
] as const) {
  reserved.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 96], // unspecified (::), loopback (::1) and the deprecated IPv4-compatible addresses
  ['64:ff9b:1::', 48], // local-use IPv4/IPv6 translation (RFC 8215)
  ['100::', 64], // discard-only (RFC 6666)
  ['2001::', 23], // IETF protocol assignments, Teredo among them (RFC 2928, RFC 4380)
  ['2001:db8::', 32], // documentation (RFC 3849)
  ['2002::', 16], // 6to4, which carries an IPv4 address of any kind (RFC 3056)
  ['3fff::', 20], // documentation (RFC 9637)
  ['5f00::', 16], // SRv6 segment identifiers (RFC 9602)
  ['fc00::', 7], // unique local (RFC 4193)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local, deprecated (RFC 3879)
  ['ff00::', 8], // multicast
] as const) {
  reserved.addSubnet(network, prefix, 'ipv6');
}

/** Global unicast (RFC 4291 §2.4): the only IPv6 space that is routed on the Internet. */
const globalUnicast = new BlockList();
globalUnicast.addSubnet('2000::', 3, 'ipv6');
const ipv4Mapped = new BlockList();
ipv4Mapped.addSubnet('::ffff:0:0', 96, 'ipv6');
/** The well-known NAT64 prefix (RFC 6052): the address it translates to is the last 32 bits. */
const nat64 = new BlockList();
nat64.addSubnet('64:ff9b::', 96, 'ipv6');

/** Whether `address` (an IP address as text) is public unicast; anything else, names included, is not. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !reserved.check(address, 'ipv4');
  // A zone index (fe80::1%eth0) only ever names a link-local address.
  if (family !== 6 || address.includes('%')) return false;
  if (ipv4Mapped.check(address, 'ipv6')) return !reserved.check(address, 'ipv6');
  if (nat64.check(address, 'ipv6')) return isPublicAddress(lastIPv4(address));
  return globalUnicast.check(address, 'ipv6') && !reserved.check(address, 'ipv6');
}

/** The IPv4 address in the last 32 bits of an IPv6 address (its canonical form, RFC 5952, via URL). */
function lastIPv4(address: string): string {
  const groups = new URL(`http://[${address}]`).hostname.slice(1, -1).split(':');
  // After "::" compression the last two entries are the last two groups ("" stands for zeros).
  const [high, low] = groups.slice(-2).map((g) => Number.parseInt(g || '0', 16));
  return [high! >> 8, high! & 0xff, low! >> 8, low! & 0xff].join('.');
}

/**
 * Whether `hostname` is listed: an exact name or address, or a `*.example.com` pattern (any name
 * below example.com, not example.com itself). Compared as lower-case text, without a trailing dot.
 */
export function hostAllowed(hostname: string, allowed: readonly string[]): boolean {
  const host = bareHost(hostname);
  return allowed.some((entry) => {
    const pattern = bareHost(entry);
    if (!pattern.startsWith('*.')) return host === pattern;
    const suffix = pattern.slice(1);
    return host.length > suffix.length && host.endsWith(suffix);
  });
}

/** A URL's hostname as a name or address: lower case, no IPv6 brackets, no trailing dot. */
export function bareHost(hostname: string): string {
  let host = hostname.trim().toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

/** Addresses that name the machine a connection starts from: loopback, and the unspecified address. */
const ownMachine = new BlockList();
ownMachine.addSubnet('127.0.0.0', 8, 'ipv4');
ownMachine.addAddress('0.0.0.0', 'ipv4');
ownMachine.addAddress('::1', 'ipv6');
ownMachine.addAddress('::', 'ipv6');

/**
 * Whether a URL's hostname (WHATWG-parsed: IPv4 forms such as `127.1` already normalized) is the
 * machine of whoever opens it: `localhost` and names below it (RFC 6761 §6.3), 127.0.0.0/8, [::1],
 * and their IPv4-mapped IPv6 forms.
 */
export function isOwnMachineHost(hostname: string): boolean {
  const host = bareHost(hostname);
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const family = isIP(host);
  if (family === 4) return ownMachine.check(host, 'ipv4');
  return family === 6 && ownMachine.check(host, 'ipv6');
}
