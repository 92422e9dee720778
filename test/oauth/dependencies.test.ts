import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// DESIGN.md, "Dependencies point one way": http and console depend on the protocol core, never the
// reverse; the core reports outward through src/oauth/events.ts and takes narrow ports, not the
// server's whole Services bag.
const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const core = join(src, 'oauth');
const outside = ['console', 'http', 'admin', 'webhooks', 'services.ts', 'server.ts', 'cli.ts', 'cluster.ts'];

const sources = (folder: string): string[] =>
  readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(folder, entry.name))
      : /\.tsx?$/.test(entry.name)
        ? [join(folder, entry.name)]
        : [],
  );

describe('the protocol core', () => {
  it('imports nothing from the adapters or the wiring', () => {
    const files = sources(core);
    expect(files.length).toBeGreaterThan(10);
    const wrong: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
        const target = relative(src, resolve(dirname(file), specifier!)).split(/[\\/]/)[0]!;
        if (outside.includes(target)) wrong.push(`${relative(src, file)} imports ${specifier}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
