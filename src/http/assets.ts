/**
 * Static files served at /assets/<name> with a content-hashed URL:
 *
 *   const css = loadAsset('app.css', 'text/css; charset=utf-8');   from ./assets/ next to this module
 *   loadAsset('console.css', type, new URL('./browser/', import.meta.url))   from another folder
 *   asset('console.js', type, body)   from bytes already in hand
 *   css.url                 '/assets/app.css?v=<hash>' — for <link>/<script> in pages, through useUrl() (./urls.ts).
 *   serveAsset(app, css, prefix?)   the route (under `prefix`, config.basePath, when app is the root
 *                           instance); the versioned URL may be cached for a year, an unversioned
 *                           (or stale) one for five minutes; ETag / If-None-Match answer 304.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

export interface Asset {
  name: string;
  type: string;
  body: Buffer;
  version: string;
  url: string;
}

/**
 * Reads `name` from `folder` (a file: URL ending in '/'). The build copies every file of src/ that is
 * not TypeScript to the same place in dist/, so a URL relative to the calling module works in both.
 */
export function loadAsset(name: string, type: string, folder = new URL('./assets/', import.meta.url)): Asset {
  return asset(name, type, readFileSync(new URL(name, folder)));
}

export function asset(name: string, type: string, body: Buffer): Asset {
  const version = createHash('sha256').update(body).digest('base64url').slice(0, 12);
  return { name, type, body, version, url: `/assets/${name}?v=${version}` };
}

export function serveAsset(app: FastifyInstance, asset: Asset, prefix = ''): void {
  const etag = `"${asset.version}"`;
  app.get(`${prefix}/assets/${asset.name}`, async (request, reply) => {
    const { v } = request.query as { v?: string };
    reply
      .header(
        'cache-control',
        v === asset.version ? 'public, max-age=31536000, immutable' : 'public, max-age=300',
      )
      .header('etag', etag)
      .type(asset.type);
    if (request.headers['if-none-match'] === etag) return reply.status(304).send();
    return reply.send(asset.body);
  });
}
