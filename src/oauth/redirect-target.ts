// The host an authorization response goes to, as the consent page shows it to the person.
// (Apart from ./redirect-uri.ts, which the console's browser script bundles: this needs node:net.)
import { isOwnMachineHost } from '../net/public-address.ts';

/** Where an authorization response goes, as the consent page names it to the person. */
export interface RedirectTarget {
  /** The host and port in ASCII, or the scheme of an app on the device (`com.example.app:`). */
  host: string;
  /** The person's own machine: a loopback host, or an app opened by a private-use scheme. */
  ownMachine: boolean;
}

/**
 * The host the code is sent to (MCP authorization asks that consent show it). From the WHATWG URL
 * parser: an internationalized name is shown in its ASCII (punycode, `xn--…`) form, so a look-alike
 * of a known name cannot pass for it, and numeric IPv4 forms are normalized before the loopback check.
 * A private-use URI scheme (RFC 8252 §7.1) has no host: it opens an app on the same device.
 */
export function redirectTarget(uri: string): RedirectTarget {
  const url = new URL(uri);
  if (url.host === '') return { host: url.protocol, ownMachine: true };
  return { host: url.host, ownMachine: isOwnMachineHost(url.hostname) };
}
