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
const root = fileURLToPath(new URL('../../../', import.meta.url));
export const entry = fileURLToPath(new URL('../../../src/console/browser/console.ts', import.meta.url));

/**
 * Bundles `from` (the console's entry) for browsers, returning the script and the source files it
 * took in. `platform: 'browser'` makes any Node-only import in the shared rules (node:*) fail the
 * build instead of shipping.
 */
export function bundleConsoleScript(from = entry): { code: Buffer; inputs: string[] } {
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof Esbuild;
  const result = esbuild.buildSync({
    entryPoints: [from],
    absWorkingDir: root, // metafile inputs relative to the package root, e.g. src/oauth/redirect-uri.ts
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    charset: 'utf8',
    legalComments: 'none',
    write: false,
    metafile: true,
    outfile: 'console.js',
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error('esbuild produced no output for the console script');
  return { code: Buffer.from(file.contents), inputs: Object.keys(result.metafile.inputs) };
}
