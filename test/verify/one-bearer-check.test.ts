import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// DESIGN.md, "Architecture": one JWT verifier (@latchkey/verify, packages/verify) serves APIs and the
// server's own Bearer check (/api/v1/me, the admin API), and one place builds WWW-Authenticate. The
// server's check is the verifier's (src/http/bearer.ts adds revocation and resource_metadata); these
// say nobody grows a second copy of the header parsing or of the Bearer challenge.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const sources = (folder: string): string[] =>
  readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(folder, entry.name))
      : /\.tsx?$/.test(entry.name)
        ? [join(folder, entry.name)]
        : [],
  );
const filesWith = (pattern: RegExp): string[] =>
  ['src', 'packages/client/src', 'packages/verify/src']
    .flatMap((folder) => sources(join(root, folder)))
    .filter((file) => pattern.test(readFileSync(file, 'utf8')))
    .map((file) => relative(root, file));

describe('one Bearer check', () => {
  it('reads the Bearer and DPoP schemes of an Authorization header in one file', () => {
    expect(filesWith(/\^(Bearer|DPoP) \+/)).toEqual(['packages/verify/src/bearer-header.ts']);
  });

  it('builds the Bearer challenge in the verifier only, and the server checks through it', () => {
    expect(filesWith(/authChallenge\('Bearer'/)).toEqual(['packages/verify/src/http-response.ts']);
    const bearer = readFileSync(join(root, 'src/http/bearer.ts'), 'utf8');
    expect(bearer).toContain('createBearerCheck(');
    expect(bearer).toContain('bearerChallenge(');
  });
});
