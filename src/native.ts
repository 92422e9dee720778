import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** An addon from native/, or why it did not load (not built: no C compiler at install). */
export type LoadedAddon<T> = { addon: T; reason?: undefined } | { addon: undefined; reason: string };

/**
 * Loads dist/native/NAME.node, built by scripts/build.mjs from native/NAME.c. src/ and dist/ both sit
 * one folder below the package root, and the bundle's `import.meta.url` names the dist/ file.
 */
export function loadAddon<T>(name: 'es256' | 'accept'): LoadedAddon<T> {
  try {
    const path = fileURLToPath(new URL(`../dist/native/${name}.node`, import.meta.url));
    return { addon: createRequire(import.meta.url)(path) as T };
  } catch (error) {
    return { addon: undefined, reason: (error as Error).message.split('\n')[0]! };
  }
}
