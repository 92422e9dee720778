import type { LookupAddress } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { IncomingHttpHeaders, RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createRequire } from 'node:module';
import { isIP, type LookupFunction } from 'node:net';
import { bareHost, hostAllowed, isPublicAddress } from './public-address.ts';

/**
 * GET a URL that a caller chose (a client's `jwks_uri`, a client metadata document) without letting
 * the caller reach inside (RFC 9700 §4.16, server-side request forgery): https only; the host is
 * resolved once and every address must be public; the connection goes to exactly the address that
 * was checked (so a second DNS answer cannot rebind it), with the hostname kept for SNI, the
 * certificate check and `Host`; a time limit over it all, a size limit, no redirects followed.
 * Hosts the operator lists are exempt from the address check and may use http; with
 * `onlyAllowedHosts`, they are also the only hosts fetched at all.
 */
export interface GuardedFetchOptions {
  /** Exact names or addresses and `*.example.com` patterns, fetched without the address check. */
  allowedHosts: readonly string[];
  /** Fetch listed hosts only (when the list is not empty): the operator chose whom to trust. */
  onlyAllowedHosts?: boolean;
  timeoutMs: number;
  maxBytes: number;
  accept?: string;
  /** Trust anchors instead of the system's (tests: a throwaway certificate). */
  ca?: string | Buffer;
  /** Resolves a name to every address it has (dns.lookup with `all`); tests give their own. */
  resolve?: (hostname: string) => Promise<LookupAddress[]>;
}

export interface FetchedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * What kind of refusal or failure it was, for a caller that explains it in its own words: the URL
 * itself (`url`), a host the operator did not list (`host_not_allowed`), a non-public address
 * (`address`), no answer in time, an answer too large, or no connection (`unreachable`).
 */
export type FetchFailure = 'url' | 'host_not_allowed' | 'address' | 'timeout' | 'too_large' | 'unreachable';

/**
 * Why a fetch was refused or failed. Its message is for the operator's log: callers show their own
 * short message, never what the other side answered (that would make the fetch a probe).
 */
export class FetchRefused extends Error {
  override name = 'FetchRefused';
  readonly failure: FetchFailure;
  constructor(message: string, failure: FetchFailure = 'unreachable') {
    super(message);
    this.failure = failure;
  }
}

// Required, not imported: an `import` of node:http reads every one of its exports, and its WebSocket
// getter loads Node's fetch implementation (undici), ~14 MB resident that the server never uses
// (docs/deploy.md, "Memory"). Fastify requires node:http the same way.
const { request: httpRequest } = createRequire(import.meta.url)('node:http') as typeof import('node:http');

const resolveAll = (hostname: string) => dnsLookup(hostname, { all: true, verbatim: true });

/** Why `url` may not be fetched at all, or undefined: the checks made before any DNS lookup. */
export function urlProblem(url: string, allowedHosts: readonly string[]): string | undefined {
  return refusal(url, allowedHosts, false)?.problem;
}

function refusal(
  url: string,
  allowedHosts: readonly string[],
  onlyAllowedHosts: boolean,
): { problem: string; failure: FetchFailure } | undefined {
  const refuse = (problem: string, failure: FetchFailure = 'url') => ({ problem, failure });
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse('is not an absolute URL');
  }
  const allowed = hostAllowed(parsed.hostname, allowedHosts);
  if (onlyAllowedHosts && allowedHosts.length > 0 && !allowed) {
    return refuse('names a host that is not in the list of allowed hosts', 'host_not_allowed');
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && allowed))
    return refuse('must use https');
  if (parsed.username !== '' || parsed.password !== '')
    return refuse('must not carry a user name or password');
  if (parsed.hash !== '') return refuse('must not have a fragment');
  const host = bareHost(parsed.hostname);
  if (allowed) return undefined;
  // Names that always mean this machine (RFC 6761 §6.3), and addresses written out, are refused now;
  // other names are judged by the addresses they resolve to, at each fetch.
  if (host === 'localhost' || host.endsWith('.localhost'))
    return refuse('must not point at this machine', 'address');
  if (isIP(host) !== 0 && !isPublicAddress(host)) {
    return refuse('must not point at a loopback, private or otherwise non-public address', 'address');
  }
  return undefined;
}

export async function guardedFetch(url: string, options: GuardedFetchOptions): Promise<FetchedResponse> {
  const refused = refusal(url, options.allowedHosts, options.onlyAllowedHosts ?? false);
  if (refused) throw new FetchRefused(`${url} ${refused.problem}`, refused.failure);
  const target = new URL(url);
  const host = bareHost(target.hostname);
  const signal = AbortSignal.timeout(options.timeoutMs);

  // One lookup; its answer is the address connected to. Every address must be public: a name
  // answering with a public and a private address could otherwise be steered to the private one.
  let address = host;
  let family = isIP(host);
  if (family === 0) {
    const found = await beforeDeadline((options.resolve ?? resolveAll)(host), signal);
    const refused = found.find((a) => !isPublicAddress(a.address));
    if (found.length === 0) throw new FetchRefused(`${host} has no address`);
    if (refused && !hostAllowed(host, options.allowedHosts)) {
      throw new FetchRefused(`${host} resolves to ${refused.address}, a non-public address`, 'address');
    }
    ({ address, family } = found[0]!);
  }
  const pinned = ((_name: string, opts: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (opts.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as unknown as LookupFunction;

  const requestOptions: RequestOptions & { ca?: string | Buffer } = {
    method: 'GET',
    hostname: host,
    port: target.port || undefined,
    path: `${target.pathname}${target.search}`,
    headers: { accept: options.accept ?? 'application/json' },
    lookup: pinned,
    // A fresh connection each time: a pooled one could outlive the check that chose its address.
    agent: false,
    signal,
    ...(options.ca !== undefined && { ca: options.ca }),
  };
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<FetchedResponse>((resolve, reject) => {
    const req = send(requestOptions, (response) => {
      const declared = Number(response.headers['content-length']);
      if (declared > options.maxBytes) {
        req.destroy();
        reject(new FetchRefused(`${url} is larger than ${options.maxBytes} bytes`, 'too_large'));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.byteLength;
        if (size > options.maxBytes) {
          req.destroy();
          reject(new FetchRefused(`${url} is larger than ${options.maxBytes} bytes`, 'too_large'));
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
      );
      response.on('error', (error) => reject(failed(url, error, signal)));
    });
    req.on('error', (error) => reject(failed(url, error, signal)));
    req.end();
  });
}

function failed(url: string, error: Error, signal: AbortSignal): FetchRefused {
  if (signal.aborted) return new FetchRefused(`${url} could not be fetched: timed out`, 'timeout');
  const why = (error as NodeJS.ErrnoException).code ?? error.message;
  return new FetchRefused(`${url} could not be fetched: ${why}`);
}

/** DNS lookups take no signal: stop waiting for one when the deadline passes. */
function beforeDeadline<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new FetchRefused('the name lookup timed out', 'timeout'));
    signal.addEventListener('abort', onAbort, { once: true });
    work
      .then(resolve, (error: Error) =>
        reject(
          new FetchRefused(
            `the name lookup failed: ${(error as NodeJS.ErrnoException).code ?? error.message}`,
          ),
        ),
      )
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}
