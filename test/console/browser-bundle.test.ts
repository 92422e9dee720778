import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleConsoleScript } from '../../src/console/browser/bundle.ts';
import { assertBuilt, root } from '../helpers/dist.ts';

// The console's browser script carries the server's own validation rules (one copy, in TypeScript),
// bundled by the build; the behaviour in a browser is proven by console-browser.test.ts.
describe("the console's browser bundle", () => {
  it('takes in the entry and the two rule modules, nothing else (no Node-only code)', () => {
    const { code, inputs } = bundleConsoleScript();
    expect(inputs.sort()).toEqual([
      'src/console/browser/console.ts',
      'src/console/credentials/form.ts',
      'src/oauth/redirect-uri.ts',
    ]);
    const text = code.toString('utf8');
    expect(text).not.toMatch(/^\s*(import|export)\b|\brequire\(|node:/m);
    // One copy of each rule's wording: the server's, not a mirror.
    for (const message of ['This URL is already listed above', 'http is allowed only for localhost']) {
      expect(text.split(message)).toHaveLength(2);
    }
  });

  it('refuses a rule module that imports Node-only code', () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-bundle-'));
    const entry = join(dir, 'entry.ts');
    writeFileSync(entry, "import { createHash } from 'node:crypto';\nconsole.log(createHash('sha256'));\n");
    try {
      expect(() => bundleConsoleScript(entry)).toThrow(/node:crypto/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is what the build wrote to dist/, which the compiled server serves', () => {
    assertBuilt();
    const built = readFileSync(join(root, 'dist/console/browser/console.js'));
    expect(built.equals(bundleConsoleScript().code)).toBe(true);
  });
});
