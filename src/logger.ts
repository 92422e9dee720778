import pino, { type Logger } from 'pino';

/**
 * JSON logs with every place a secret could sit redacted: headers, bodies, and our own fields.
 * Secrets, codes and tokens are never logged on purpose either; this is the net under that rule.
 * An authorization code is redacted where a request's parameters sit, not as `*.code`: that would
 * hide what an error was (`"err":{"code":"ECONNREFUSED"}`), which an operator needs to see.
 */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.client_secret',
  '*.password',
  'body.code',
  'query.code',
  'params.code',
  '*.code_verifier',
  '*.refresh_token',
  '*.access_token',
  '*.token',
  'client_secret',
  'password',
  'refresh_token',
  'access_token',
  'token',
];

/**
 * A request's logger: its lines carry the request's bindings (`reqId`, what operators search logs
 * by). pino's own child serialises the bindings when made, so it is made on the first line
 * only: most requests log nothing. No AsyncLocalStorage: on Node 20 it installs promise hooks that run
 * on every promise of every request, so the HTTP layer hands this logger to the core explicitly
 * (src/http/request-services.ts).
 */
class RequestLogger {
  #child: Logger | undefined;
  readonly #base: Logger;
  readonly #bindings: pino.Bindings;
  constructor(base: Logger, bindings: pino.Bindings) {
    this.#base = base;
    this.#bindings = bindings;
  }
  get #log(): Logger {
    this.#child ??= this.#base.child(this.#bindings);
    return this.#child;
  }
  get level(): string {
    return this.#base.level;
  }
  set level(level: string) {
    this.#log.level = level;
  }
  isLevelEnabled(level: string): boolean {
    return this.#base.isLevelEnabled(level);
  }
  child(bindings: pino.Bindings, options?: pino.ChildLoggerOptions): Logger {
    return this.#log.child(bindings, options);
  }
  fatal(...args: unknown[]): void {
    this.#write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.#write('error', args);
  }
  warn(...args: unknown[]): void {
    this.#write('warn', args);
  }
  info(...args: unknown[]): void {
    this.#write('info', args);
  }
  debug(...args: unknown[]): void {
    this.#write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.#write('trace', args);
  }
  silent(): void {}
  #write(level: pino.Level, args: unknown[]): void {
    if (!this.#base.isLevelEnabled(level)) return;
    const log = this.#log;
    (log[level] as (...a: unknown[]) => void).apply(log, args);
  }
}

/** Fastify's childLoggerFactory: `request.log` for one request, cheap until it logs. */
export const requestLogger = (base: Logger, bindings: pino.Bindings): Logger =>
  new RequestLogger(base, bindings) as unknown as Logger;

/**
 * Secrets inside text, wherever in the line they sit (messages, stacks and URLs have no field to
 * redact): a password in a URL (`postgres://user:PASSWORD@host`), secret query parameters and an
 * invitation link's token in its path (a request's URL, logged at debug). Each pattern is anchored
 * at `//`, `?`/`&` or `/invitations/` and stops at the next delimiter, so it reads each part of the
 * line once.
 */
const urlPassword = /(\/\/[^\s"/?#@:]*):[^\s"/?#@]*@/g;
const secretParameter = /([?&](?:code|token|access_token|refresh_token|client_secret|password)=)[^&\s"#]*/g;
const invitationToken = /(\/invitations\/)[^/?\s"#]+/g;
const withoutSecretsInText = (line: string): string =>
  line
    .replace(urlPassword, '$1:[redacted]@')
    .replace(secretParameter, '$1[redacted]')
    .replace(invitationToken, '$1[redacted]');

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: redactPaths, censor: '[redacted]' },
      hooks: { streamWrite: withoutSecretsInText },
    },
    destination,
  );
}
