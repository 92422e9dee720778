import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { assertBuilt, root } from '../helpers/dist.ts';
import { installInEmptyProject, pack } from '../helpers/packages.ts';

// Issue 30 item 7: the SDK and the verifier are workspace packages (packages/client, packages/verify)
// that stand alone, the server uses them by name, and `latchkey/client` / `latchkey/verify` keep
// working from the server package.
const run = promisify(execFile);
const readJson = (path: string) => JSON.parse(readFileSync(join(root, path), 'utf8'));
const rootPackage = readJson('package.json') as {
  engines: unknown;
  license: string;
  exports: Record<string, unknown>;
  dependencies: Record<string, string>;
  bundleDependencies: string[];
};

/** Every module specifier a source file imports, statically or dynamically. */
function specifiers(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]!);
}

const sources = (folder: string): string[] =>
  readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));

const packages = {
  client: { name: '@latchkey/client', dependencies: {} },
  verify: { name: '@latchkey/verify', dependencies: { jose: rootPackage.dependencies.jose } },
};

describe.each(Object.entries(packages))('packages/%s', (folder, expected) => {
  const manifest = readJson(`packages/${folder}/package.json`);

  it('is a package of its own: name, version, ESM, typed exports, dist/ only, the same engines', () => {
    expect(manifest).toMatchObject({
      name: expected.name,
      version: '0.1.0',
      type: 'module',
      exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
      files: ['dist'],
      engines: rootPackage.engines,
      license: rootPackage.license,
    });
    expect(manifest.dependencies ?? {}).toEqual(expected.dependencies);
  });

  it('imports nothing outside itself but its dependencies', () => {
    const src = join(root, 'packages', folder, 'src');
    for (const file of sources(src)) {
      for (const specifier of specifiers(file)) {
        if (specifier.startsWith('.')) {
          const inside = !relative(src, resolve(file, '..', specifier)).startsWith('..');
          expect(inside, `${relative(root, file)} imports ${specifier}`).toBe(true);
        } else {
          expect(Object.keys(expected.dependencies), `${relative(root, file)}: ${specifier}`).toContain(
            specifier,
          );
        }
      }
    }
  });

  it('is what the server depends on and imports by name, never by path', () => {
    expect(rootPackage.dependencies[expected.name]).toBe('0.1.0');
    for (const file of sources(join(root, 'src'))) {
      for (const specifier of specifiers(file)) {
        expect(specifier, relative(root, file)).not.toMatch(/packages\//);
      }
    }
  });
});

describe('the server package keeps latchkey/client and latchkey/verify', () => {
  it.each(['client', 'verify'])('exports ./%s: the workspace package, re-exported', async (name) => {
    expect(rootPackage.exports[`./${name}`]).toEqual({
      types: `./dist/${name}.d.ts`,
      default: `./dist/${name}.js`,
    });
    assertBuilt();
    // The package's own name resolves through its exports (Node's self-reference), as an installed
    // copy would: the same module as @latchkey/…, not a second copy.
    const { stdout } = await run(
      process.execPath,
      [
        '--input-type=module',
        '--eval',
        `const [old, own] = await Promise.all([import('latchkey/${name}'), import('@latchkey/${name}')]);
         console.log(JSON.stringify({ names: Object.keys(old), same: Object.keys(own).every((k) => old[k] === own[k]) }));`,
      ],
      { cwd: root },
    );
    const { names, same } = JSON.parse(stdout);
    expect(same).toBe(true);
    expect(names).toContain(name === 'client' ? 'clientCredentials' : 'createVerifier');
  });

  describe('from its packed tarball', () => {
    let project: Awaited<ReturnType<typeof installInEmptyProject>> | undefined;
    afterAll(() => project?.remove());

    // The workspace packages travel inside the tarball (bundleDependencies): the server's tarball
    // installs whether or not they are published. Install scripts (native addons) are not needed here.
    it('installs, and both subpaths import', { timeout: 300_000 }, async () => {
      expect(rootPackage.bundleDependencies).toEqual(['@latchkey/client', '@latchkey/verify']);
      const packed = await pack();
      const paths = packed.files.map((file) => file.path);
      expect(paths).toContain('node_modules/@latchkey/client/dist/index.js');
      expect(paths).toContain('node_modules/@latchkey/verify/dist/index.js');
      project = await installInEmptyProject(packed.tarball, { ignoreScripts: true });
      const out = await project.node(
        `const client = await import('latchkey/client');
         const verify = await import('latchkey/verify');
         console.log(JSON.stringify([typeof client.clientCredentials, typeof verify.createVerifier]));`,
      );
      expect(JSON.parse(out)).toEqual(['function', 'function']);
    });
  });
});
