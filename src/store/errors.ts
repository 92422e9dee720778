import type { DatabaseConnection, Dialect, Driver } from 'kysely';

/**
 * The database cannot be reached or cannot take the query now (it is down, restarting, out of
 * connections, or SQLite is locked past the busy timeout). The request may succeed later: the HTTP
 * layer answers 503 `temporarily_unavailable` (RFC 6749 §4.1.2.1) instead of a 500.
 */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super('The database is unavailable', { cause });
    this.name = 'StoreUnavailableError';
  }
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
// connect now), 53300 (too many connections).
const postgresCodes = /^(08...|57P0[123]|53300)$/;
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

/** `error`, as a StoreUnavailableError when it means the database cannot be reached. */
export const asUnavailable = (error: unknown): unknown =>
  isUnavailable(error) ? new StoreUnavailableError(error) : error;

/** Rethrows `error`, as a StoreUnavailableError when it means the database cannot be reached. */
export const translateUnavailable = (error: unknown): never => {
  throw asUnavailable(error);
};

/** Wraps a Kysely dialect so that every "cannot reach the database" failure is a StoreUnavailableError. */
export function reportUnavailable(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createDriver: () => wrapDriver(dialect.createDriver()),
  };
}

function wrapDriver(driver: Driver): Driver {
  const wrapped = new WeakSet<DatabaseConnection>();
  const acquire = driver.acquireConnection.bind(driver);
  // Drivers keep one connection object per pooled client, so each is patched once. Transactions
  // (begin, commit) run through executeQuery too.
  driver.acquireConnection = async () => {
    const connection = await acquire().catch(translateUnavailable);
    if (!wrapped.has(connection)) {
      const execute = connection.executeQuery.bind(connection);
      connection.executeQuery = async (query) => {
        try {
          return await execute(query); // the SQLite driver throws synchronously
        } catch (error) {
          return translateUnavailable(error);
        }
      };
      wrapped.add(connection);
    }
    return connection;
  };
  return driver;
}
