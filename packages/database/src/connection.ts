import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, type LogEvent, type PostgresPool } from 'kysely';
import pg from 'pg';
import { DatabaseUnavailableError } from './errors.js';
import { PGlitePool } from './pglite-pool.js';

// Return int8 (counts) and numeric (money, distances) as JS numbers on both drivers, so code and tests see the
// same values on PostgreSQL and on the embedded database. MedPort's values fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number(value));
const PGLITE_PARSERS = { [pgliteTypes.INT8]: (value: string) => Number(value), [pgliteTypes.NUMERIC]: (value: string) => Number(value) };

export interface DatabaseTarget {
  /** A PostgreSQL URL; when absent the silo runs on an embedded PGlite database. */
  url?: string | undefined;
  /** Folder for the embedded database, or 'memory' for an in-memory one. */
  dataDir?: string;
  /** Name of the silo, used as the embedded database's folder name and in pool diagnostics. */
  name: string;
  /** Called after every statement; used to count statements per request in tests and benchmarks. */
  onQuery?: (event: LogEvent) => void;
  /** PostgreSQL pool size. */
  maxConnections?: number;
  /**
   * How long a statement waits for a PostgreSQL connection (a free one of the pool, or a new one) before it fails
   * as a database that is unavailable.
   */
  connectTimeoutMs?: number;
}

/**
 * A server that is down refuses a connection at once, but one out of reach (a network partition) lets it hang for
 * minutes, and so does a pool whose connections are all stuck: either is reported within a few seconds instead.
 */
const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;
/** `GET /ready` answers within the gateway's probe timeout (2 s) even when a pooled connection hangs. */
const PING_TIMEOUT_MS = 1_500;
// pg reads a per-query `query_timeout` that its types leave out.
const PING_QUERY: pg.QueryConfig & { query_timeout: number } = { text: 'select 1', query_timeout: PING_TIMEOUT_MS };

export interface DatabaseHandle<DB> {
  db: Kysely<DB>;
  kind: 'postgres' | 'pglite';
  /**
   * Runs a trivial query; `GET /ready` uses it. It fails within a couple of seconds when the database is down or
   * out of reach, and a pooled connection it found dead is not handed out again.
   */
  ping(): Promise<void>;
  /**
   * Calls `onNotify` for every NOTIFY on `channel` until the returned function is called. On PostgreSQL it holds
   * one dedicated connection and reconnects by itself after the server went away, calling `onNotify` once on
   * reconnection, since notifications sent in between are lost and the listener must look for itself.
   */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

const CHANNEL_NAME = /^[a-z_][a-z0-9_]*$/;

function requireChannelName(channel: string): string {
  if (!CHANNEL_NAME.test(channel)) throw new Error(`Invalid notification channel: ${channel}`);
  return channel;
}

/** One LISTEN connection to PostgreSQL that comes back after the server or the network went away. */
async function listenOnPostgres(url: string, name: string, channel: string, onNotify: () => void): Promise<() => Promise<void>> {
  requireChannelName(channel);
  let stopped = false;
  let client: pg.Client | null = null;
  let retryTimer: NodeJS.Timeout | undefined;
  let delay = 100;
  const connect = async (isReconnection: boolean): Promise<void> => {
    const next = new pg.Client({ connectionString: url, application_name: `medport-${name}-listener` });
    next.on('notification', (message) => {
      if (message.channel === channel) onNotify();
    });
    next.on('error', () => scheduleReconnect());
    next.on('end', () => scheduleReconnect());
    try {
      await next.connect();
      await next.query(`listen ${channel}`);
    } catch (error) {
      next.removeAllListeners().on('error', () => {});
      await next.end().catch(() => {});
      throw error;
    }
    if (stopped) {
      await next.end().catch(() => {});
      return;
    }
    client = next;
    delay = 100;
    if (isReconnection) onNotify();
  };
  const scheduleReconnect = () => {
    const lost = client;
    client = null;
    if (stopped || retryTimer) return;
    lost?.removeAllListeners().on('error', () => {});
    lost?.end().catch(() => {});
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connect(true).catch(() => {
        delay = Math.min(delay * 2, 5_000);
        scheduleReconnect();
      });
    }, delay);
  };
  await connect(false).catch(() => scheduleReconnect());
  return async () => {
    stopped = true;
    clearTimeout(retryTimer);
    const current = client;
    client = null;
    current?.removeAllListeners().on('error', () => {});
    await current?.end().catch(() => {});
  };
}

export function openDatabase<DB>(target: DatabaseTarget): DatabaseHandle<DB> {
  const log = target.onQuery
    ? (event: LogEvent) => {
        target.onQuery!(event);
      }
    : undefined;

  if (target.url) {
    const pool = new pg.Pool({
      connectionString: target.url,
      max: target.maxConnections ?? 10,
      application_name: `medport-${target.name}`,
      connectionTimeoutMillis: target.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    });
    // An idle client losing its server must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    // Nor may a client in use (a transaction between statements, a query in flight): besides failing its query it
    // emits 'error', which the pool only listens for while the client is idle. It is dropped when released.
    pool.on('connect', (client) => client.on('error', () => {}));
    // Whatever stops the pool from handing out a connection means the database cannot be reached; the server's own
    // reason (not accepting connections is 55000, a code statements fail with for other reasons too) stays the cause.
    const connect = async () => {
      try {
        return await pool.connect();
      } catch (error) {
        throw new DatabaseUnavailableError(target.name, error);
      }
    };
    const reachablePool: PostgresPool = { connect, end: () => pool.end() };
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: reachablePool }), ...(log ? { log } : {}) });
    return {
      db,
      kind: 'postgres',
      async ping() {
        const client = await connect();
        try {
          await client.query(PING_QUERY);
        } catch (error) {
          // A connection the server dropped without a word (a partition) looks idle and healthy to the pool.
          client.release(error as Error);
          throw new DatabaseUnavailableError(target.name, error);
        }
        client.release();
      },
      listen: (channel, onNotify) => listenOnPostgres(target.url!, target.name, channel, onNotify),
      close: () => db.destroy(),
    };
  }

  const dataDir = target.dataDir ?? 'memory';
  let location: string | undefined;
  if (dataDir !== 'memory') {
    location = path.resolve(dataDir, target.name);
    mkdirSync(location, { recursive: true });
  }
  const pglite = new PGlite(location, { parsers: PGLITE_PARSERS });
  const pool = new PGlitePool(pglite);
  const db = new Kysely<DB>({
    dialect: new PostgresDialect({ pool: pool as unknown as pg.Pool }),
    ...(log ? { log } : {}),
  });
  return {
    db,
    kind: 'pglite',
    async ping() {
      await pglite.query('select 1');
    },
    async listen(channel, onNotify) {
      return pglite.listen(requireChannelName(channel), () => onNotify());
    },
    close: () => db.destroy(),
  };
}
