import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { type ThrowawayCa, throwawayCa } from './tls.ts';

/** What a path answers: a JSON document (200, application/json) or a handler of its own. */
export type DocumentRoute =
  | { json: unknown; headers?: Record<string, string> }
  | ((req: IncomingMessage, res: ServerResponse) => void);

/**
 * Client ID Metadata Documents served over https on 127.0.0.1, with a certificate from a throwaway
 * CA for `names` (by default `client.test`, `other.test` and 127.0.0.1; give the fetcher `ca.caPem`, or a process
 * NODE_EXTRA_CA_CERTS=`ca.caFile`). Counts the requests each path received.
 */
export interface DocumentServer {
  port: number;
  ca: ThrowawayCa;
  /** `https://client.test:PORT/path`: the name resolves only where the test says it does. */
  url(path: string, host?: string): string;
  serve(path: string, route: DocumentRoute): void;
  /** Requests received for `path` (the query ignored). */
  hits(path: string): number;
  close(): Promise<void>;
}

export const documentHosts = ['client.test', 'other.test', '127.0.0.1'];

export async function startDocumentServer(names: readonly string[] = documentHosts): Promise<DocumentServer> {
  const ca = throwawayCa(names);
  const routes = new Map<string, DocumentRoute>();
  const counts = new Map<string, number>();
  const server: Server = createServer({ key: ca.key, cert: ca.cert }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const route = routes.get(path);
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
    } else if (typeof route === 'function') {
      route(req, res);
    } else {
      res.writeHead(200, { 'content-type': 'application/json', ...route.headers });
      res.end(JSON.stringify(route.json));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    ca,
    url: (path, host = 'client.test') => `https://${host}:${port}${path}`,
    serve: (path, route) => routes.set(path, route),
    hits: (path) => counts.get(path) ?? 0,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      ca.remove();
    },
  };
}

/** A valid metadata document for `clientId`: a public client redirecting to `redirectUri`. */
export const clientDocument = (
  clientId: string,
  redirectUri: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> => ({
  client_id: clientId,
  client_name: 'Claude Code (test)',
  redirect_uris: [redirectUri],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
  client_uri: 'https://client.test/',
  ...extra,
});

/** Resolves the document server's names to loopback (the guarded fetcher's `resolve`). */
export const resolveToLoopback = async () => [{ address: '127.0.0.1', family: 4 }];
