import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

/** The console's own stylesheet and script, served next to the layout's (content-hashed URLs). */
const load = (name: string) => {
  const body = readFileSync(new URL(`../http/assets/${name}`, import.meta.url));
  return { name, body, version: createHash('sha256').update(body).digest('base64url').slice(0, 12) };
};

const files = {
  css: { ...load('console.css'), type: 'text/css; charset=utf-8' },
  js: { ...load('console.js'), type: 'text/javascript; charset=utf-8' },
};

export const consoleCssUrl = `/assets/console.css?v=${files.css.version}`;
export const consoleJsUrl = `/assets/console.js?v=${files.js.version}`;

export function serveConsoleAssets(app: FastifyInstance): void {
  for (const file of Object.values(files)) {
    app.get(`/assets/${file.name}`, async (request, reply) => {
      const { v } = request.query as { v?: string };
      const etag = `"${file.version}"`;
      reply
        .header(
          'cache-control',
          v === file.version ? 'public, max-age=31536000, immutable' : 'public, max-age=300',
        )
        .header('etag', etag)
        .type(file.type);
      if (request.headers['if-none-match'] === etag) return reply.status(304).send();
      return reply.send(file.body);
    });
  }
}
