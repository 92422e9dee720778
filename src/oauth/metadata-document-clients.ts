/**
 * The clients behind metadata document URLs (draft-ietf-oauth-client-id-metadata-document-00 §4), at
 * the authorization endpoint and PAR. The client is a row of its own (id = the URL, no
 * organization), so grants, codes and refresh tokens work as for any client, and the token endpoint
 * reads that row without fetching. Here, in order:
 *   - a blocked client is refused without fetching anything;
 *   - a stored client whose document is still fresh is used as stored;
 *   - otherwise the document is fetched, counted per address first (anyone may send a URL), one fetch
 *     per URL at a time (concurrent requests share it), through the guarded fetcher (RFC 9700 §4.16:
 *     public addresses only unless the operator lists the host; 5 s, 64 KB, no redirects);
 *   - a valid document is stored until its cache lifetime ends (./metadata-document.ts); a refused
 *     one stores nothing and is explained to the developer by the kind of failure, never quoting what
 *     the other side answered unless it is this client's own document (its client_id is the URL).
 */
import type { Clock } from '../clock.ts';
import type { Config } from '../config/index.ts';
import {
  type FetchedResponse,
  FetchRefused,
  type GuardedFetchOptions,
  guardedFetch,
} from '../net/guarded-fetch.ts';
import type { RateLimiter } from '../ratelimit/index.ts';
import { isBlocked, lookUpClient } from './client-lookup.ts';
import {
  clientIdUrlProblem,
  DocumentError,
  documentExpiresAt,
  readMetadataDocument,
} from './metadata-document.ts';
import type { Client } from './model/clients.ts';
import type { Log, MetadataDocumentStorage } from './ports.ts';
import { countDocumentFetch } from './request-limits.ts';

/** DESIGN.md: 5 s and 64 KB at most. */
const fetchTimeoutMs = 5_000;
const maxDocumentBytes = 64 * 1024;

export type DocumentResolution =
  | { kind: 'client'; client: Client }
  /** The URL, the fetch or the document was refused: `problem` says why, for the developer. */
  | { kind: 'refused'; clientId: string; problem: string }
  /** The operator blocked this client: nothing is fetched for it any more. */
  | { kind: 'blocked'; client: Client }
  /** This address made the server fetch more documents than anyone needs (seconds to wait). */
  | { kind: 'too_many'; retryAfter: number };

/** Client ID Metadata Documents, while LATCHKEY_CLIENT_METADATA_DOCUMENTS is on. */
export interface ClientMetadataDocuments {
  /** The client whose id is the URL `clientId`, asked for from `address`. */
  resolve(clientId: string, address: string): Promise<DocumentResolution>;
}

export interface ClientMetadataDocumentDeps {
  readonly store: MetadataDocumentStorage;
  readonly config: Pick<Config, 'clientMetadataAllowedHosts' | 'scopes' | 'jwksUriAllowedHosts'>;
  readonly clock: Clock;
  readonly limiter: Pick<RateLimiter, 'hit'>;
  readonly log: Pick<Log, 'info'>;
  /** Trust anchors, name resolution, a shorter time limit: tests only. */
  readonly fetch?: Partial<Pick<GuardedFetchOptions, 'ca' | 'resolve' | 'timeoutMs'>>;
}

export function clientMetadataDocuments(deps: ClientMetadataDocumentDeps): ClientMetadataDocuments {
  /** One fetch per URL at a time, in this process: concurrent requests wait for the same answer. */
  const inFlight = new Map<string, Promise<DocumentResolution>>();

  async function resolve(clientId: string, address: string): Promise<DocumentResolution> {
    const problem = clientIdUrlProblem(clientId);
    if (problem) return { kind: 'refused', clientId, problem: `The client_id URL ${problem}` };
    const found = await lookUpClient(deps.store.clients, clientId);
    if (found.kind === 'blocked') return { kind: 'blocked', client: found.client };
    if (found.kind === 'active') {
      const stored = found.client;
      // Registered some other way (never a URL today): not ours to fetch.
      if (stored.origin !== 'metadata_document') return { kind: 'client', client: stored };
      if ((stored.metadataExpiresAt ?? 0) > deps.clock()) return { kind: 'client', client: stored };
    }
    const retryAfter = await countDocumentFetch(address, deps.limiter);
    if (retryAfter !== undefined) return { kind: 'too_many', retryAfter };
    let shared = inFlight.get(clientId);
    if (!shared) {
      shared = fetchAndStore(clientId).finally(() => inFlight.delete(clientId));
      inFlight.set(clientId, shared);
    }
    return shared;
  }

  async function fetchAndStore(url: string): Promise<DocumentResolution> {
    const refused = (problem: string, detail?: string): DocumentResolution => {
      deps.log.info(
        { client_id: url, problem, ...(detail && { detail }) },
        'client metadata document refused',
      );
      return { kind: 'refused', clientId: url, problem };
    };
    let response: FetchedResponse;
    try {
      const allowedHosts = deps.config.clientMetadataAllowedHosts;
      response = await guardedFetch(url, {
        allowedHosts,
        onlyAllowedHosts: true,
        timeoutMs: fetchTimeoutMs,
        maxBytes: maxDocumentBytes,
        accept: 'application/json',
        ...deps.fetch,
      });
    } catch (error) {
      if (!(error instanceof FetchRefused)) throw error;
      return refused(fetchProblem(error, deps.fetch?.timeoutMs ?? fetchTimeoutMs), error.message);
    }
    // §4: 200 only, redirects not followed, JSON only.
    if (response.status >= 300 && response.status < 400) {
      return refused(
        `The document's URL answered with a redirect (HTTP ${response.status}); redirects are not followed: serve the document at its client_id URL itself`,
      );
    }
    if (response.status !== 200) {
      return refused(
        `The document's URL answered HTTP ${response.status}; it must answer 200 with the document`,
      );
    }
    if (!isJsonType(response.headers['content-type'])) {
      return refused('The document must be served as application/json');
    }
    let document: unknown;
    try {
      document = JSON.parse(response.body.toString('utf8'));
    } catch {
      return refused('The document is not valid JSON');
    }
    let client: ReturnType<typeof readMetadataDocument>;
    try {
      client = readMetadataDocument(url, document, deps.config);
    } catch (error) {
      if (error instanceof DocumentError) return refused(error.message);
      throw error;
    }
    const expiresAt = documentExpiresAt(response.headers, deps.clock());
    const saved = await deps.store.clients.saveDocumentClient(client, expiresAt);
    // Blocked meanwhile (by the operator, between the lookup and now): still blocked.
    if (isBlocked(saved.client)) return { kind: 'blocked', client: saved.client };
    return { kind: 'client', client: saved.client };
  }

  return { resolve };
}

/** What went wrong with the fetch, for the developer: the kind of failure, never the details. */
function fetchProblem(error: FetchRefused, timeoutMs: number): string {
  switch (error.failure) {
    case 'host_not_allowed':
      return 'This server fetches metadata documents only from the hosts its operator allows, and the client_id URL names another host';
    case 'address':
      return 'The client_id URL leads to a loopback, private or otherwise non-public address; metadata documents are fetched from public addresses only';
    case 'timeout':
      return `The document's URL did not answer within ${timeoutMs / 1000} seconds`;
    case 'too_large':
      return `The document is larger than ${maxDocumentBytes / 1024} KB`;
    case 'url':
    case 'unreachable':
      return "The document could not be fetched: no https connection to the client_id URL's host could be made (refused, unreachable, or a certificate that is not trusted)";
  }
}

/** §4: application/json, or a more specific `application/…+json`. */
function isJsonType(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}
