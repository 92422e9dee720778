/**
 * Turns the console's browser entry (console.ts here, with the rules it imports from the server's
 * modules) into the one script pages load. Run by the build (scripts/build.mjs writes
 * dist/console/browser/console.js) and, when the server runs from src/ (tests, development), on
 * demand by ../assets.ts. esbuild is a devDependency: a production server never calls this.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as Esbuild from 'esbuild';

// The entry is always the TypeScript source: src/console/browser/ and dist/console/browser/ are both
// three levels below the package root, so this path holds whether this module runs from src or dist.
export const entry = fileURLToPath(new URL('../../../src/console/browser/console.ts', import.meta.url));

/**
 * Bundles the entry for browsers. `platform: 'browser'` makes any Node-only import in the shared
 * rules (node:*, a server package) fail the build instead of shipping.
 */
export function bundleConsoleScript(): Buffer {
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof Esbuild;
  const result = esbuild.buildSync({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    charset: 'utf8',
    legalComments: 'none',
    write: false,
    outfile: 'console.js',
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error('esbuild produced no output for the console script');
  return Buffer.from(file.contents);
}
