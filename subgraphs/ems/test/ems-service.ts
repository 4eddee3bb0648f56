import { loadSubgraphConfig } from '@medport/config';
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
  /** Every SQL statement the subgraph ran since the last `statements.length = 0`. */
  statements: string[];
  /** Sends one operation as a demo account, over real HTTP with a real signed token. */
  as<Data = Record<string, any>>(
    email: DemoEmail,
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<Data>>;
  stop(): Promise<void>;
}

/** A seeded ems subgraph of its own on a free port and a fresh database, verifying tokens of a test issuer. */
export async function startTestEms(): Promise<TestEms> {
  const database: TestDatabase = await createTestDatabase('ems');
  const issuer = await startTestIssuer();
  const statements: string[] = [];
  const config = loadSubgraphConfig('ems', 0, { ...database.env, ...issuer.env, HOST: '127.0.0.1', LOG_LEVEL: 'silent', SEED_DEMO_DATA: 'true' });
  const ems = await startSubgraph(emsSubgraph, config, { onQuery: (event) => statements.push(event.query.sql) });
  const tokens = new Map<string, Promise<string>>();
  const tokenOf = (email: DemoEmail) => {
    if (!tokens.has(email)) tokens.set(email, issuer.tokenForDemoUser(email));
    return tokens.get(email)!;
  };
  return {
    ems,
    issuer,
    statements,
    async as(email, query, variables = {}, headers = {}) {
      return postGraphQL(ems.url, query, variables, { ...bearer(await tokenOf(email)), ...headers });
    },
    async stop() {
      await ems.stop();
      await issuer.close();
      await database.drop();
    },
  };
}
