import type { FastifyInstance } from 'fastify';
import { asset, loadAsset, serveAsset } from '../http/assets.ts';
import { bundleConsoleScript } from './browser/bundle.ts';

/**
 * The console's own stylesheet and script (./browser/), served next to the layout's with
 * content-hashed URLs. Compiled (dist/), the script is the file the build bundled; run from the
 * TypeScript source (tests, development), it is bundled here from the source, so it never lags
 * behind an edit. Either way the bundle carries the server's own validation rules.
 */
const folder = new URL('./browser/', import.meta.url);
const fromSource = import.meta.url.endsWith('.ts');
const type = 'text/javascript; charset=utf-8';

const css = loadAsset('console.css', 'text/css; charset=utf-8', folder);
const js = fromSource
  ? asset('console.js', type, bundleConsoleScript().code)
  : loadAsset('console.js', type, folder);

export const consoleCssUrl = css.url;
export const consoleJsUrl = js.url;

export function serveConsoleAssets(app: FastifyInstance): void {
  serveAsset(app, css);
  serveAsset(app, js);
}
