import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey } from '../helpers/latchkey.ts';
import { installInEmptyProject, type Packed, pack } from '../helpers/packages.ts';

// Issue 30 item 7: `latchkey/client` came with the whole server (120 packages, 81 MB, native addons).
// @latchkey/client is its own package: packed, installed into an empty project, used from there.
let lk: Latchkey;
let packed: Packed;
let project: Awaited<ReturnType<typeof installInEmptyProject>>;

beforeAll(async () => {
  lk = await startLatchkey();
  packed = await pack('@latchkey/client');
  project = await installInEmptyProject(packed.tarball);
}, 120_000);
afterAll(async () => {
  project?.remove();
  await lk?.close();
});

describe('@latchkey/client installed from its tarball', () => {
  it('holds the compiled SDK only', () => {
    const paths = packed.files.map((file) => file.path);
    expect(paths).toContain('dist/index.js');
    expect(paths).toContain('dist/index.d.ts');
    for (const path of paths) expect(path, path).toMatch(/^(dist\/|package\.json$|README|LICENSE)/);
  });

  it('installs nothing but itself, in a fraction of a megabyte', () => {
    expect(project.packages()).toEqual(['@latchkey/client']);
    expect(project.bytes()).toBeLessThan(400 * 1024);
  });

  it('gets a token from a running Latchkey', async () => {
    const client = await lk.createClient({ scopes: ['invoices:read'] });
    const out = await project.node(
      `import { clientCredentials } from '@latchkey/client';
       const { ISSUER, CLIENT_ID, CLIENT_SECRET } = process.env;
       const source = clientCredentials({ issuer: ISSUER, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
       const token = await source.getToken();
       const me = await fetch(ISSUER + '/api/v1/me', { headers: { authorization: 'Bearer ' + token } });
       console.log(JSON.stringify({ same: token === (await source.getToken()), me: await me.json() }));`,
      { ISSUER: lk.issuer, CLIENT_ID: client.clientId, CLIENT_SECRET: client.clientSecret },
    );
    expect(JSON.parse(out)).toMatchObject({ same: true, me: { client_id: client.clientId } });
  });
});
