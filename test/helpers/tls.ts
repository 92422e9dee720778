import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A TLS reverse proxy on https://localhost:`port` in front of an http server, as deploy/compose.yaml
 * puts one in front of Latchkey: browsers then see an https issuer, so Secure and prefixed cookies
 * are what they would be in production. The certificate is self-signed for localhost and made for
 * this run by openssl (browser contexts need `ignoreHTTPSErrors: true`).
 */
export async function startTlsProxy(
  port: number,
  target: string,
): Promise<{ origin: string; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-tls-'));
  const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  const args =
    'req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost';
  execFileSync(
    'openssl',
    [...args.split(' '), '-addext', 'subjectAltName=DNS:localhost', '-keyout', key, '-out', cert],
    {
      stdio: 'ignore',
    },
  );
  const upstream = new URL(target);
  const server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, 'x-forwarded-proto': 'https' },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.writeHead(502).end());
    req.pipe(forward);
  });
  rmSync(dir, { recursive: true, force: true });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    origin: `https://localhost:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
