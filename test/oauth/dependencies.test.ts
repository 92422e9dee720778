import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// DESIGN.md, "Dependencies point one way": http and console depend on the protocol core, never the
// reverse; the core reports outward through src/oauth/events.ts and takes narrow ports, not the
// server's whole Services bag. The types the ports speak are the core's own (src/oauth/model): the
// store imports them from there, and the core imports no web framework, database, driver or logger.
const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const core = join(src, 'oauth');
const outside = [
  'console',
  'http',
  'admin',
  'webhooks',
  'store',
  'services.ts',
  'server.ts',
  'cli.ts',
  'cluster.ts',
];
const packages = ['fastify', 'kysely', 'pino', 'pg', 'better-sqlite3', 'ioredis'];
/** `fastify`, `@fastify/formbody`, `kysely/helpers/postgres`: the package a specifier names. */
const packageOf = (specifier: string): string =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

const sources = (folder: string): string[] =>
  readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(folder, entry.name))
      : /\.tsx?$/.test(entry.name)
        ? [join(folder, entry.name)]
        : [],
  );

describe('the protocol core', () => {
  it('imports nothing from the adapters, the store, the wiring, or a framework, database or logger', () => {
    const files = sources(core);
    expect(files.length).toBeGreaterThan(10);
    const wrong: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        const bare = !specifier!.startsWith('.');
        const target = bare
          ? packageOf(specifier!)
          : relative(src, resolve(dirname(file), specifier!)).split(/[\\/]/)[0]!;
        const refused = bare
          ? packages.includes(target) || target.startsWith('@fastify/')
          : outside.includes(target);
        if (refused) wrong.push(`${relative(src, file)} imports ${specifier}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('leaves accounts/ to take narrow dependencies, not the whole Services', () => {
    const wide = sources(join(src, 'accounts')).filter((file) =>
      /from '\.\.\/services\.ts'/.test(readFileSync(file, 'utf8')),
    );
    expect(wide.map((file) => relative(src, file))).toEqual([]);
  });
});
