import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server tests use when it answers; CI provides one at this address. */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let reachable: Promise<boolean> | undefined;

/** Whether the test PostgreSQL server answers (checked once per process). */
export function postgresReachable(): Promise<boolean> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return reachable;
}

export interface TestDatabase {
  kind: 'postgres' | 'pglite';
  /** Environment for a subgraph's config: its database URL on PostgreSQL, an in-memory PGlite otherwise. */
  env: Record<string, string>;
  url: string | undefined;
  drop(): Promise<void>;
}

/**
 * A fresh database for one silo: a uniquely named PostgreSQL database (dropped by `drop`) when the server
 * answers, an in-memory PGlite database otherwise. With MEDPORT_TEST_REQUIRE_POSTGRES=1 (CI) a missing server
 * is an error instead of a silent fallback.
 */
export async function createTestDatabase(silo: 'hospital' | 'ems' | 'center'): Promise<TestDatabase> {
  const envName = `${silo.toUpperCase()}_DATABASE_URL`;
  if (!(await postgresReachable())) {
    if (process.env.MEDPORT_TEST_REQUIRE_POSTGRES === '1') {
      throw new Error(`PostgreSQL is required for this run but does not answer at ${TEST_POSTGRES_URL}`);
    }
    return { kind: 'pglite', env: { MEDPORT_DATA_DIR: 'memory' }, url: undefined, drop: async () => {} };
  }
  const name = `medport_test_${silo}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    kind: 'postgres',
    env: { [envName]: url.toString(), MEDPORT_DATA_DIR: 'memory' },
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
