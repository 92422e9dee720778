import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type Logger } from 'pino';

/**
 * JSON logs with every place a secret could sit redacted: headers, bodies, and our own fields.
 * Secrets, codes and tokens are never logged on purpose either; this is the net under that rule.
 */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.client_secret',
  '*.password',
  '*.code',
  '*.code_verifier',
  '*.refresh_token',
  '*.access_token',
  '*.token',
  'client_secret',
  'password',
  'refresh_token',
  'access_token',
];

/**
 * The request a piece of work belongs to. The HTTP layer enters it per request (src/http/request-id.ts);
 * every logger made here then stamps its lines with `reqId`, the core's own included, though the core
 * never sees a request object.
 */
export const requestContext = new AsyncLocalStorage<{ reqId: string }>();

const withRequestId = () => {
  const context = requestContext.getStore();
  return context ? { reqId: context.reqId } : {};
};

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, redact: { paths: redactPaths, censor: '[redacted]' }, mixin: withRequestId },
    destination,
  );
}
