import type { Viewer } from '@medport/auth';
import { loadSubgraphConfig, type SubgraphConfig } from '@medport/config';
import { startSubgraph, type RunningSubgraph } from '@medport/server';
import { bearer, createTestDatabase, postGraphQL, startTestIssuer, type GraphQLResponse, type TestDatabase, type TestIssuer } from '@medport/testing';
import { emsSubgraph, type EmsDatabase } from '../src/index.js';

/** The demo accounts the ems tests act as. */
export type DemoEmail =
  | 'admin@center.demo'
  | 'analyst@center.demo'
  | 'coordinator@hospital-1.demo'
  | 'coordinator@hospital-2.demo'
  | 'dispatcher@agency-1.demo'
  | 'dispatcher@agency-2.demo'
  | 'crew@agency-1.demo'
  | 'admin@agency-1.demo'
  | 'admin@agency-2.demo';

export interface TestEms {
  ems: RunningSubgraph<EmsDatabase>;
  issuer: TestIssuer;
  /** The configuration the subgraph runs with (what its background jobs receive). */
  config: Readonly<SubgraphConfig>;
  /** Every SQL statement the subgraph ran since the last `statements.length = 0`. */
  statements: string[];
  /** Sends one operation as a demo account, over real HTTP with a real signed token. */
  as<Data = Record<string, any>>(
    email: DemoEmail,
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<Data>>;
  /** Sends one operation as any account (an agency made for the test), with a real signed token. */
  asViewer<Data = Record<string, any>>(viewer: Viewer, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<Data>>;
  stop(): Promise<void>;
}

export interface TestEmsOptions {
  /** Extra environment for the subgraph's configuration. */
  env?: Record<string, string>;
}

/**
 * A seeded ems subgraph of its own on a free port and a fresh database, verifying tokens of a test issuer. The
 * offer expiry sweep runs once an hour unless `env` says otherwise: tests that need it run it themselves, so no
 * sweep changes a trip behind a test's back.
 */
export async function startTestEms(options: TestEmsOptions = {}): Promise<TestEms> {
  const database: TestDatabase = await createTestDatabase('ems');
  const issuer = await startTestIssuer();
  const statements: string[] = [];
  const config = loadSubgraphConfig('ems', 0, {
    ...database.env,
    ...issuer.env,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    SEED_DEMO_DATA: 'true',
    OFFER_EXPIRY_SWEEP_MS: String(60 * 60 * 1000),
    ...options.env,
  });
  const ems = await startSubgraph(emsSubgraph, config, { onQuery: (event) => statements.push(event.query.sql) });
  const tokens = new Map<string, Promise<string>>();
  const tokenOf = (email: DemoEmail) => {
    if (!tokens.has(email)) tokens.set(email, issuer.tokenForDemoUser(email));
    return tokens.get(email)!;
  };
  return {
    ems,
    issuer,
    config,
    statements,
    async as(email, query, variables = {}, headers = {}) {
      return postGraphQL(ems.url, query, variables, { ...bearer(await tokenOf(email)), ...headers });
    },
    async asViewer(viewer, query, variables = {}) {
      return postGraphQL(ems.url, query, variables, bearer(await issuer.tokenFor(viewer)));
    },
    async stop() {
      await ems.stop();
      await issuer.close();
      await database.drop();
    },
  };
}
