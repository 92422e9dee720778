import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { OAuthError } from '../oauth/errors.ts';
import { findDuplicateJsonKey, type Params, toParams } from '../oauth/params.ts';

export const bodyLimit = 64 * 1024;

/**
 * Form and JSON bodies carry the same parameters (DESIGN.md). Other media types get Fastify's 415.
 * JSON is parsed here so a repeated key is refused instead of silently merged (RFC 6749 §3.1).
 */
export async function registerBodyParsers(app: FastifyInstance): Promise<void> {
  // Fastify also parses text/plain by default; the OAuth endpoints take only these two.
  app.removeAllContentTypeParsers();
  await app.register(formbody, { bodyLimit });
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (_request, text, done) => {
    const body = String(text);
    if (body.trim() === '') return done(null, {});
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return done(new OAuthError('invalid_request', 'The body is not valid JSON'));
    }
    const duplicate = findDuplicateJsonKey(body);
    if (duplicate !== undefined)
      return done(new OAuthError('invalid_request', `Parameter "${duplicate}" appears more than once`));
    done(null, parsed);
  });
}

/** The request's parameters from the body, with form/JSON differences gone. */
export const bodyParams = (request: FastifyRequest): Params => toParams(request.body);
