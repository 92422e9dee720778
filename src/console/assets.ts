import type { FastifyInstance } from 'fastify';
import { loadAsset, serveAsset } from '../http/assets.ts';

/** The console's own stylesheet and script, served next to the layout's (content-hashed URLs). */
const css = loadAsset('console.css', 'text/css; charset=utf-8');
const js = loadAsset('console.js', 'text/javascript; charset=utf-8');

export const consoleCssUrl = css.url;
export const consoleJsUrl = js.url;

export function serveConsoleAssets(app: FastifyInstance): void {
  serveAsset(app, css);
  serveAsset(app, js);
}
