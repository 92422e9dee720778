import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The bin runs the compiled dist/, not src/: tests that spawn it would otherwise test whatever was
 * built last. Fails with the command to run when dist/ is missing or older than a file in src/.
 */
export const root = join(import.meta.dirname, '../..');
export const bin = join(root, 'bin/latchkey.mjs');

export function assertBuilt(): void {
  const stamp = join(root, 'dist/.built');
  if (!existsSync(stamp))
    throw new Error('dist/ is not built: run `npm run build` (`npm test` does it first)');
  const built = statSync(stamp).mtimeMs;
  const src = join(root, 'src');
  for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    if (statSync(file).mtimeMs > built) {
      throw new Error(`dist/ is older than ${file}: run \`npm run build\` (\`npm test\` does it first)`);
    }
  }
}

/** The demo client a fresh development store's `latchkey serve` prints (its curl line), from its output. */
export function seededClient(output: string): { clientId: string; clientSecret: string } {
  const curl = /curl -s -u '([^:]+):([^']+)'/.exec(output);
  if (!curl) throw new Error(`no seeded client in the output:\n${output}`);
  return { clientId: curl[1]!, clientSecret: curl[2]! };
}
