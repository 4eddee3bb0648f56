import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, type LogEvent } from 'kysely';
import pg from 'pg';
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
}

export interface DatabaseHandle<DB> {
  db: Kysely<DB>;
  kind: 'postgres' | 'pglite';
  /** Runs a trivial query; `GET /ready` uses it. */
  ping(): Promise<void>;
  close(): Promise<void>;
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
    });
    // An idle client losing its server must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), ...(log ? { log } : {}) });
    return {
      db,
      kind: 'postgres',
      async ping() {
        await pool.query('select 1');
      },
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
    close: () => db.destroy(),
  };
}
