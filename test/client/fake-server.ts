import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FakeResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * A scripted HTTP server on loopback, for answers a real Latchkey cannot be made to give on cue
 * (a 401 on a token it just issued, a 429 from an API, a rotating refresh token).
 */
export async function startFakeServer(
  handle: (request: RecordedRequest, server: { url: string }) => FakeResponse | Promise<FakeResponse>,
): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const self = { url: '' };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const recorded = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body: Buffer.concat(chunks).toString(),
    };
    requests.push(recorded);
    const answer = await handle(recorded, self);
    const body =
      answer.body === undefined
        ? ''
        : typeof answer.body === 'string'
          ? answer.body
          : JSON.stringify(answer.body);
    res.writeHead(answer.status ?? 200, {
      ...(typeof answer.body === 'object' ? { 'content-type': 'application/json' } : {}),
      ...answer.headers,
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  self.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: self.url,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Form body of a recorded request as an object. */
export function form(request: RecordedRequest): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(request.body));
}
