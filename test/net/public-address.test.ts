import { describe, expect, it } from 'vitest';
import { hostAllowed, isPublicAddress } from '../../src/net/public-address.ts';

// The outbound fetcher reaches public unicast only (RFC 9700 §4.16): never this machine, the
// operator's network, cloud metadata, or ranges that carry such an address inside another.
describe('isPublicAddress', () => {
  const refused = [
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'IPv6 loopback'],
    ['10.0.0.1', 'RFC 1918'],
    ['172.16.0.1', 'RFC 1918'],
    ['172.31.255.254', 'RFC 1918'],
    ['192.168.1.20', 'RFC 1918'],
    ['169.254.169.254', 'link-local, cloud metadata'],
    ['100.64.0.1', 'CGNAT'],
    ['100.127.255.254', 'CGNAT'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'this network'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.0.8', 'IETF protocol assignments'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback, hex'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['::ffff:a9fe:a9fe', 'IPv4-mapped metadata'],
    ['::127.0.0.1', 'IPv4-compatible'],
    ['::7f00:1', 'IPv4-compatible, hex'],
    ['64:ff9b::7f00:1', 'NAT64 of loopback'],
    ['64:ff9b::10.1.2.3', 'NAT64 of private'],
    ['::', 'IPv6 unspecified'],
    ['fe80::1', 'IPv6 link-local'],
    ['fe80::1%eth0', 'IPv6 link-local with zone'],
    ['fc00::1', 'unique local'],
    ['fd12:3456::1', 'unique local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'IPv6 multicast'],
    ['2001:db8::1', 'IPv6 documentation'],
    ['2002:7f00:1::1', '6to4 of loopback'],
    ['2001::1', 'Teredo'],
    ['100::1', 'discard'],
    ['example.com', 'a name, not an address'],
    ['', 'nothing'],
  ] as const;
  it.each(refused)('refuses %s (%s)', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  const allowed = [
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '93.184.215.14',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
  ];
  it.each(allowed)('accepts %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe('hostAllowed', () => {
  it('matches exact names and *.example.com patterns, case and trailing dot aside', () => {
    const list = ['keys.internal', '*.lab.example', '127.0.0.1', '::1'];
    expect(hostAllowed('keys.internal', list)).toBe(true);
    expect(hostAllowed('KEYS.internal.', list)).toBe(true);
    expect(hostAllowed('a.lab.example', list)).toBe(true);
    expect(hostAllowed('a.b.lab.example', list)).toBe(true);
    expect(hostAllowed('127.0.0.1', list)).toBe(true);
    expect(hostAllowed('[::1]', list)).toBe(true);
    expect(hostAllowed('lab.example', list)).toBe(false);
    expect(hostAllowed('evil-lab.example', list)).toBe(false);
    expect(hostAllowed('keys.internal.evil.example', list)).toBe(false);
    expect(hostAllowed('127.0.0.2', list)).toBe(false);
  });
});
