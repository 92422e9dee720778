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

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: redactPaths, censor: '[redacted]' } }, destination);
}
