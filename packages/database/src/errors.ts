/**
 * Whether a statement failed on the named unique constraint or index. Uniqueness is decided by the database, not
 * by a read before the write: two requests racing for the same value would both pass such a read.
 */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, constraint: violated } = error as { code?: unknown; constraint?: unknown };
  return code === '23505' && violated === constraint;
}

/**
 * A silo could not get a connection to its database: the server refused it (down, not accepting connections, out of
 * connection slots, the database gone) or did not answer in time. Whatever the server said, the silo cannot serve.
 */
export class DatabaseUnavailableError extends Error {
  constructor(
    readonly silo: string,
    cause: unknown,
  ) {
    super(`The ${silo} database cannot be reached: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * SQLSTATEs of a session the server ended or could not start: 57P01 admin_shutdown (pg_terminate_backend, a fast
 * shutdown), 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up, shutting down, in recovery), 57P04
 * database_dropped, 53300 too_many_connections, 3D000 invalid_catalog_name (the database does not exist). Class 08
 * (connection exceptions) is matched by its prefix.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '57P04', '53300', '3D000']);

/** Socket errors of a server that is down or out of reach. */
const UNAVAILABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Messages of failures that carry no code: pg's for a socket that closed, a client used after that, or a connection
 * that did not come up in time; PGlite's for an embedded database that is closing or closed.
 */
const UNAVAILABLE_MESSAGE = /^(Connection terminated|Client has encountered a connection error|Client was closed|timeout exceeded when trying to connect|PGlite is clos(ing|ed))/;

function isUnavailableFailure(error: object): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  // An embedded database whose WebAssembly instance aborted answers nothing more until the process restarts.
  if (error instanceof WebAssembly.RuntimeError) return true;
  const { code } = error as { code?: unknown };
  if (typeof code === 'string' && (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_SOCKET_CODES.has(code))) return true;
  return error instanceof Error && UNAVAILABLE_MESSAGE.test(error.message);
}

/**
 * Whether an error, or one it wraps (`cause`, GraphQL's `originalError`), says the database cannot be reached, as
 * opposed to a statement that failed on a database that answers.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let current = error; typeof current === 'object' && current !== null && !seen.has(current); ) {
    seen.add(current);
    if (isUnavailableFailure(current)) return true;
    const { originalError, cause } = current as { originalError?: unknown; cause?: unknown };
    current = originalError ?? cause;
  }
  return false;
}
