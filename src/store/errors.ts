import type { DatabaseConnection, Dialect, Driver } from 'kysely';

/**
 * The database cannot be reached or cannot take the query now (it is down, restarting, out of
 * connections, or SQLite is locked past the busy timeout). The request may succeed later: the HTTP
 * layer answers 503 `temporarily_unavailable` (RFC 6749 §4.1.2.1) instead of a 500.
 */
export class StoreUnavailableError extends Error {
  /** The cause's code (`ECONNREFUSED`, a SQLSTATE, `SQLITE_BUSY`), for logs and alerts. */
  readonly code: string | undefined;
  /** `where`: the database, without credentials (`PostgreSQL at db.internal:5432`). */
  constructor(cause: unknown, where?: string) {
    super(`${where ? `The database (${where})` : 'The database'} is unavailable: ${reason(cause)}`, {
      cause,
    });
    this.name = 'StoreUnavailableError';
    this.code = codeOf(cause);
  }
}

const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
};

/**
 * The cause in one line. Several addresses tried at once (localhost: ::1 and 127.0.0.1) fail as one
 * AggregateError whose own message is empty: its errors say what happened.
 */
function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0)
    return [...new Set(error.errors.map(reason))].join('; ');
  const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
  const code = codeOf(error);
  if (code && !message.includes(code)) return message ? `${code}: ${message}` : code;
  return message || 'no reason given';
}

const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// PostgreSQL SQLSTATE: class 08 (connection exception), 57P01-57P03 (admin/crash shutdown, cannot
// connect now), 53300 (too many connections), and the connection refused by the server: class 28
// (wrong password or user) and 3D000 (no such database). Each is fixed outside Latchkey, after which
// it serves again without a restart; at start it is one line naming the database.
const postgresCodes = /^(08...|57P0[123]|53300|28...|3D000)$/;
// node-postgres and pg-pool report lost connections and connect timeouts without a code.
const driverMessages =
  /timeout exceeded when trying to connect|Connection terminated|not queryable|timeout expired/i;

export function isUnavailable(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (networkCodes.has(code) || postgresCodes.test(code) || code.startsWith('SQLITE_BUSY')) return true;
  }
  if (driverMessages.test(error.message)) return true;
  // Several addresses tried at once (localhost → ::1 and 127.0.0.1) fail as one AggregateError.
  return error instanceof AggregateError && error.errors.some(isUnavailable);
}

/** `error`, as a StoreUnavailableError (naming `where`) when it means the database cannot be reached. */
export const asUnavailable = (error: unknown, where?: string): unknown =>
  isUnavailable(error) && !(error instanceof StoreUnavailableError)
    ? new StoreUnavailableError(error, where)
    : error;

/** Rethrows `error`, as a StoreUnavailableError when it means the database cannot be reached. */
export const translateUnavailable = (error: unknown, where?: string): never => {
  throw asUnavailable(error, where);
};

/**
 * Wraps a Kysely dialect so that every "cannot reach the database" failure is a StoreUnavailableError
 * that names `where` (the database without credentials).
 */
export function reportUnavailable(dialect: Dialect, where?: string): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createDriver: () => wrapDriver(dialect.createDriver(), where),
  };
}

function wrapDriver(driver: Driver, where: string | undefined): Driver {
  const wrapped = new WeakSet<DatabaseConnection>();
  const acquire = driver.acquireConnection.bind(driver);
  const translate = (error: unknown): never => translateUnavailable(error, where);
  // Drivers keep one connection object per pooled client, so each is patched once. Transactions
  // (begin, commit) run through executeQuery too.
  driver.acquireConnection = async () => {
    const connection = await acquire().catch(translate);
    if (!wrapped.has(connection)) {
      const execute = connection.executeQuery.bind(connection);
      connection.executeQuery = async (query) => {
        try {
          return await execute(query); // the SQLite driver throws synchronously
        } catch (error) {
          return translate(error);
        }
      };
      wrapped.add(connection);
    }
    return connection;
  };
  return driver;
}
