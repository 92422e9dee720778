import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// DESIGN.md, "Architecture": one JWT verifier (src/verify) serves APIs and the server's own Bearer
// check (/api/v1/me, the admin API), and one place builds WWW-Authenticate. The server's check is
// src/verify's (src/http/bearer.ts adds revocation and resource_metadata); these say nobody grows a
// second copy of the header parsing or of the Bearer challenge.
const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const sources = (folder: string): string[] =>
  readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(folder, entry.name))
      : /\.tsx?$/.test(entry.name)
        ? [join(folder, entry.name)]
        : [],
  );
const filesWith = (pattern: RegExp): string[] =>
  sources(src)
    .filter((file) => pattern.test(readFileSync(file, 'utf8')))
    .map((file) => relative(src, file));

describe('one Bearer check', () => {
  it('reads the Bearer and DPoP schemes of an Authorization header in one file', () => {
    expect(filesWith(/\^(Bearer|DPoP) \+/)).toEqual(['verify/bearer-header.ts']);
  });

  it('builds the Bearer challenge in src/verify only, and the server checks through it', () => {
    expect(filesWith(/authChallenge\('Bearer'/)).toEqual(['verify/http-response.ts']);
    const bearer = readFileSync(join(src, 'http/bearer.ts'), 'utf8');
    expect(bearer).toContain('createBearerCheck(');
    expect(bearer).toContain('bearerChallenge(');
  });
});
