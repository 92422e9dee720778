/**
 * Static files from src/http/assets/, served at /assets/<name> with a content-hashed URL:
 *
 *   const css = loadAsset('app.css', 'text/css; charset=utf-8');
 *   css.url                 '/assets/app.css?v=<hash>' — for <link>/<script> in pages.
 *   serveAsset(app, css)    the route; the versioned URL may be cached for a year, an unversioned
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

export function loadAsset(name: string, type: string): Asset {
  const body = readFileSync(new URL(`./assets/${name}`, import.meta.url));
  const version = createHash('sha256').update(body).digest('base64url').slice(0, 12);
  return { name, type, body, version, url: `/assets/${name}?v=${version}` };
}

export function serveAsset(app: FastifyInstance, asset: Asset): void {
  const etag = `"${asset.version}"`;
  app.get(`/assets/${asset.name}`, async (request, reply) => {
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
