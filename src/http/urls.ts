/**
 * The one place URLs of this server are built. The issuer may sit under a path
 * (LATCHKEY_ISSUER=https://platform.example/auth → config.basePath '/auth', '' at the root), and every
 * route is registered under it (app.ts), so every URL a page names or a route redirects to must carry
 * it. Code writes root-relative paths ('/settings/api') and passes them through one of these:
 *
 *   urlFor(request, '/login')       in a route handler or hook: '/auth/login'
 *   const url = useUrl(); url('/consent')   in a preact component rendered by sendPage (a context,
 *                                   so the console's views stay pure: rendered alone they get '')
 *   withBase(basePath, '/')         where only the base is at hand
 */
import type { FastifyRequest } from 'fastify';
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

declare module 'fastify' {
  interface FastifyInstance {
    /** config.basePath; decorated by registerPages. */
    latchkeyBasePath: string;
  }
}

export const withBase = (basePath: string, path: string): string => `${basePath}${path}`;

export const urlFor = (request: FastifyRequest, path: string): string =>
  withBase(request.server.latchkeyBasePath ?? '', path);

/** The base path for the page being rendered; sendPage provides it. */
export const BasePath = createContext('');

export function useUrl(): (path: string) => string {
  const basePath = useContext(BasePath);
  return (path) => withBase(basePath, path);
}

/** The path of `url` (a request URL) without the base, for matching routes: '/auth/oauth/x' → '/oauth/x'. */
export function routePath(basePath: string, url: string): string {
  if (!basePath || !url.startsWith(basePath) || !/^($|[/?])/.test(url.slice(basePath.length))) return url;
  const rest = url.slice(basePath.length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}
