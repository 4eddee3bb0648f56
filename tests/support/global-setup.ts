import { postgresReachable, TEST_POSTGRES_URL } from '@medport/testing';

/** Says once, before any test, which database the suite runs against. */
export default async function setup() {
  if (await postgresReachable()) {
    console.log(`MedPort tests use PostgreSQL at ${TEST_POSTGRES_URL} (one fresh database per silo per test file).`);
  } else if (process.env.MEDPORT_TEST_REQUIRE_POSTGRES === '1') {
    throw new Error(`MEDPORT_TEST_REQUIRE_POSTGRES=1 but PostgreSQL does not answer at ${TEST_POSTGRES_URL}`);
  } else {
    console.log(`PostgreSQL does not answer at ${TEST_POSTGRES_URL}: MedPort tests use embedded in-memory PGlite.`);
  }
}
