import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every module specifier a source file imports, statically or dynamically. */
function specifiers(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const found = [...source.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]!);
  return found;
}

describe('the SDK subpath exports stand alone', () => {
  const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, { types: string; default: string }>;
  };

  it.each(['client', 'verify'])('src/%s imports nothing outside itself but node:crypto', (name) => {
    const folder = join(root, 'src', name);
    for (const file of readdirSync(folder).filter((f) => f.endsWith('.ts'))) {
      for (const specifier of specifiers(join(folder, file))) {
        if (specifier.startsWith('.')) {
          const target = resolve(folder, specifier);
          expect(relative(folder, target).startsWith('..'), `${name}/${file} imports ${specifier}`).toBe(
            false,
          );
        } else {
          expect(specifier, `${name}/${file}`).toBe('node:crypto');
        }
      }
    }
  });

  it.each(['client', 'verify'])('package.json exports ./%s from the compiled SDK', (name) => {
    expect(packageJson.exports[`./${name}`]).toEqual({
      types: `./dist/${name}/index.d.ts`,
      default: `./dist/${name}/index.js`,
    });
  });
});
