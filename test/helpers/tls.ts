import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:https';
import { isIP } from 'node:net';
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

/** A certificate authority made for one test run, and a server certificate it issued. */
export interface ThrowawayCa {
  /** The authority's certificate (PEM): a fetcher's `ca`, or the file for NODE_EXTRA_CA_CERTS. */
  caPem: string;
  caFile: string;
  /** The server's certificate (PEM) for `names`, and its key. */
  cert: string;
  key: string;
  remove(): void;
}

/**
 * A throwaway CA and a certificate it signed for `names` (host names, or IP addresses written as
 * such), made by openssl: lets a test serve https on loopback that a client verifies for real,
 * against the name it connected to.
 */
export function throwawayCa(names: readonly string[]): ThrowawayCa {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-ca-'));
  const file = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  openssl([
    'req',
    '-x509',
    ...ec,
    '-days',
    '1',
    '-subj',
    '/CN=Latchkey throwaway test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
  ]);
  openssl(['req', ...ec, '-subj', `/CN=${names[0]}`, '-keyout', file('key.pem'), '-out', file('req.csr')]);
  const san = names.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  writeFileSync(
    file('ext.cnf'),
    `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`,
  );
  openssl([
    'x509',
    '-req',
    '-in',
    file('req.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    file('ext.cnf'),
    '-out',
    file('cert.pem'),
  ]);
  return {
    caPem: readFileSync(file('ca.pem'), 'utf8'),
    caFile: file('ca.pem'),
    cert: readFileSync(file('cert.pem'), 'utf8'),
    key: readFileSync(file('key.pem'), 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
