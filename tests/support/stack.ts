import { centerSubgraph } from '@medport/center';
import { loadSubgraphConfig } from '@medport/config';
import { emsSubgraph } from '@medport/ems';
import { loadGatewayConfig, startGateway, type RunningGateway } from '@medport/gateway';
import { hospitalSubgraph } from '@medport/hospital';
import { startSubgraph, type RunningSubgraph, type SubgraphDefinition } from '@medport/server';
import { demo } from '@medport/domain';
import { bearer, createTestDatabase, postGraphQL, type TestDatabase } from '@medport/testing';
import type { LogEvent } from 'kysely';

type Silo = 'hospital' | 'ems' | 'center';

const DEFINITIONS: Record<Silo, SubgraphDefinition<any, any>> = {
  hospital: hospitalSubgraph,
  ems: emsSubgraph,
  center: centerSubgraph,
};

/** Every SQL statement a silo ran, in order, so tests can count statements per request. */
export class StatementLog {
  readonly statements: string[] = [];
  record = (event: LogEvent) => {
    this.statements.push(event.query.sql);
  };
  clear() {
    this.statements.length = 0;
  }
}

export interface Stack {
  gatewayUrl: string;
  gateway: RunningGateway;
  subgraphs: Record<Silo, RunningSubgraph<unknown>>;
  databases: Record<Silo, TestDatabase>;
  statements: Record<Silo, StatementLog>;
  /** An access token of a demo account, signed in through the gateway (once per account and stack). */
  tokenFor(email: string): Promise<string>;
  /** Headers that authenticate as a demo account (the center admin by default). */
  as(email?: string): Promise<Record<string, string>>;
  /** Stops one subgraph (its database stays), to show how the rest behaves without it. */
  stopSubgraph(silo: Silo): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the real supergraph for one test file: three subgraphs on free ports, each on its own fresh database
 * (PostgreSQL when it answers, PGlite otherwise), seeded with the demo network, and the gateway in front.
 */
export interface StackOptions {
  /** Run every silo on embedded PGlite databases kept in this folder (the quick start's default) instead. */
  embeddedDataDir?: string;
}

const embeddedDatabase = (dataDir: string): TestDatabase => ({
  kind: 'pglite',
  env: { MEDPORT_DATA_DIR: dataDir },
  url: undefined,
  drop: async () => {},
});

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const silos: Silo[] = ['hospital', 'ems', 'center'];
  const databases = {} as Record<Silo, TestDatabase>;
  const statements = {} as Record<Silo, StatementLog>;
  const subgraphs = {} as Record<Silo, RunningSubgraph<unknown>>;
  const start = async (silo: Silo, env: Record<string, string> = {}) => {
    databases[silo] = options.embeddedDataDir ? embeddedDatabase(options.embeddedDataDir) : await createTestDatabase(silo);
    statements[silo] = new StatementLog();
    const config = loadSubgraphConfig(silo, 0, { ...databases[silo].env, ...env, HOST: '127.0.0.1', LOG_LEVEL: 'silent', SEED_DEMO_DATA: 'true' });
    subgraphs[silo] = await startSubgraph(DEFINITIONS[silo], config, { onQuery: statements[silo].record });
  };
  let gateway: RunningGateway;
  try {
    // The center signs access tokens; every other service verifies them with the keys it publishes.
    await start('center');
    const auth = { AUTH_JWKS_URL: subgraphs.center.url.replace('/graphql', '/.well-known/jwks.json') };
    await Promise.all([start('hospital', auth), start('ems', auth)]);
    gateway = await startGateway(
      loadGatewayConfig({
        ...auth,
        HOST: '127.0.0.1',
        GATEWAY_PORT: '0',
        LOG_LEVEL: 'silent',
        HOSPITAL_URL: subgraphs.hospital.url,
        EMS_URL: subgraphs.ems.url,
        CENTER_URL: subgraphs.center.url,
      }),
    );
  } catch (error) {
    // Leave no server running and no database behind when a part fails to start.
    await Promise.allSettled(Object.values(subgraphs).map((subgraph) => subgraph.stop()));
    await Promise.allSettled(Object.values(databases).map((database) => database.drop()));
    throw error;
  }
  const tokens = new Map<string, Promise<string>>();
  const login = async (email: string) => {
    const response = await postGraphQL<{ login: { accessToken: string } }>(
      gateway.url,
      `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }`,
      { email, password: demo.DEMO_PASSWORD },
    );
    if (!response.data?.login) throw new Error(`Login of ${email} failed: ${JSON.stringify(response.errors)}`);
    return response.data.login.accessToken;
  };
  const tokenFor = (email: string) => {
    if (!tokens.has(email)) tokens.set(email, login(email));
    return tokens.get(email)!;
  };
  const stopped = new Set<Silo>();
  const stopSubgraph = async (silo: Silo) => {
    if (stopped.has(silo)) return;
    stopped.add(silo);
    await subgraphs[silo].stop();
  };
  return {
    gatewayUrl: gateway.url,
    gateway,
    subgraphs,
    databases,
    statements,
    tokenFor,
    as: async (email = 'admin@center.demo') => bearer(await tokenFor(email)),
    stopSubgraph,
    async stop() {
      await gateway.stop();
      await Promise.all(silos.map((silo) => stopSubgraph(silo)));
      await Promise.all(silos.map((silo) => databases[silo].drop()));
    },
  };
}
