import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, requestToken, startLatchkey } from '../helpers/latchkey.ts';
import { installInEmptyProject, type Packed, pack } from '../helpers/packages.ts';

// Issue 30 item 7: an API developer installs @latchkey/verify, which needs jose and nothing else.
let lk: Latchkey;
let packed: Packed;
let project: Awaited<ReturnType<typeof installInEmptyProject>>;

beforeAll(async () => {
  lk = await startLatchkey();
  packed = await pack('@latchkey/verify');
  project = await installInEmptyProject(packed.tarball);
}, 120_000);
afterAll(async () => {
  project?.remove();
  await lk?.close();
});

describe('@latchkey/verify installed from its tarball', () => {
  it('holds the compiled verifier only', () => {
    const paths = packed.files.map((file) => file.path);
    expect(paths).toContain('dist/index.js');
    expect(paths).toContain('dist/index.d.ts');
    for (const path of paths) expect(path, path).toMatch(/^(dist\/|package\.json$|README|LICENSE)/);
  });

  it('installs itself and jose, nothing else', () => {
    expect(project.packages()).toEqual(['@latchkey/verify', 'jose']);
    expect(project.bytes()).toBeLessThan(2 * 1024 * 1024);
  });

  it('verifies a token issued by a running Latchkey, and refuses a forged one', async () => {
    const client = await lk.createClient({ scopes: ['invoices:read'] });
    const token = (await (await requestToken(lk.issuer, client)).json()).access_token as string;
    const out = await project.node(
      `import { createVerifier } from '@latchkey/verify';
       const { ISSUER, TOKEN } = process.env;
       const verifier = createVerifier({ issuer: ISSUER, audience: ISSUER });
       const claims = await verifier.verify(TOKEN);
       const [header, payload, signature] = TOKEN.split('.');
       const forged = header + '.' + Buffer.from(JSON.stringify({ ...claims.raw, scope: 'admin' })).toString('base64url') + '.' + signature;
       const refused = await verifier.verify(forged).catch((error) => error.code);
       console.log(JSON.stringify({ client_id: claims.client_id, scopes: claims.scopes, refused }));`,
      { ISSUER: lk.issuer, TOKEN: token },
    );
    expect(JSON.parse(out)).toEqual({
      client_id: client.clientId,
      scopes: ['invoices:read'],
      refused: 'invalid_token',
    });
  });

  it('holds the resource-server kit: metadata, and a token for another audience refused', async () => {
    const client = await lk.createClient({ scopes: ['invoices:read'] });
    const token = (await (await requestToken(lk.issuer, client)).json()).access_token as string;
    const out = await project.node(
      `import { createProtectedResource } from '@latchkey/verify';
       const { ISSUER, TOKEN } = process.env;
       const resource = createProtectedResource({ issuer: ISSUER, resource: 'https://mcp.example/mcp' });
       const result = await resource.authenticate({ headers: { authorization: 'Bearer ' + TOKEN } });
       console.log(JSON.stringify({ url: resource.metadataUrl, status: result.refusal.status, challenge: result.refusal.headers['www-authenticate'] }));`,
      { ISSUER: lk.issuer, TOKEN: token },
    );
    expect(JSON.parse(out)).toEqual({
      url: 'https://mcp.example/.well-known/oauth-protected-resource/mcp',
      status: 401,
      challenge:
        'Bearer error="invalid_token", error_description="token is meant for another audience", resource_metadata="https://mcp.example/.well-known/oauth-protected-resource/mcp"',
    });
  });
});
