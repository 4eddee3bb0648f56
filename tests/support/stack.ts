import { centerSubgraph } from '@medport/center';
import { loadSubgraphConfig } from '@medport/config';
import { emsSubgraph } from '@medport/ems';
import { loadGatewayConfig, startGateway, type RunningGateway } from '@medport/gateway';
import { hospitalSubgraph } from '@medport/hospital';
import { startSubgraph, type RunningSubgraph, type SubgraphDefinition } from '@medport/server';
import { demo } from '@medport/domain';
import { bearer, createTestDatabase, postGraphQL, type TestDatabase } from '@medport/testing';
import type { LogEvent } from 'kysely';
import { createServer } from 'node:net';

export type Silo = 'hospital' | 'ems' | 'center';

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
  /**
   * Another gateway in front of the stack's subgraphs, configured as the stack's own (its secret included) plus
   * `env`: a restarted gateway, or one with other settings. The caller stops it before the stack.
   */
  startGateway(env?: Record<string, string>): Promise<RunningGateway>;
  /** Starts a stopped subgraph again on its port and database, as a restarted process would. */
  restartSubgraph(silo: Silo): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the real supergraph for one test file: three subgraphs on free ports, each on its own fresh database
 * (PostgreSQL when it answers, PGlite otherwise), seeded with the demo network, and the gateway in front.
 */
export interface StackOptions {
  /** Run every silo on embedded PGlite databases kept in this folder (the quick start's default) instead. */
  embeddedDataDir?: string;
  /** Extra environment for every subgraph (offer deadlines, retry policy). */
  env?: Record<string, string>;
  /**
   * Runs once the three fresh databases exist and before any service starts, to give them a past the services
   * find when they start (a generated event history, say).
   */
  prepare?: (databases: Record<Silo, TestDatabase>) => Promise<void>;
}

/** A port nobody listens on right now, so that every silo knows the others' addresses before they start. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const embeddedDatabase = (dataDir: string): TestDatabase => ({
  kind: 'pglite',
  env: { MEDPORT_DATA_DIR: dataDir },
  url: undefined,
  drop: async () => {},
});

/** A gateway in front of these subgraphs on a free port of loopback, quiet, with `env` on top. */
export function startGatewayInFront(urls: Record<Silo, string>, env: Record<string, string> = {}): Promise<RunningGateway> {
  return startGateway(
    loadGatewayConfig({
      // The center signs access tokens; the gateway verifies them with the keys it publishes.
      AUTH_JWKS_URL: urls.center.replace('/graphql', '/.well-known/jwks.json'),
      HOST: '127.0.0.1',
      GATEWAY_PORT: '0',
      LOG_LEVEL: 'silent',
      HOSPITAL_URL: urls.hospital,
      EMS_URL: urls.ems,
      CENTER_URL: urls.center,
      ...env,
    }),
  );
}

/** What a gateway needs to find the secret of silos started with `siloEnv`: their EVENTS_SECRET, or their data folder. */
export function gatewaySecretEnvironment(...siloEnv: Record<string, string | undefined>[]): Record<string, string> {
  const merged = Object.assign({}, ...siloEnv) as Record<string, string | undefined>;
  return Object.fromEntries((['EVENTS_SECRET', 'MEDPORT_DATA_DIR'] as const).flatMap((name) => (merged[name] ? [[name, merged[name]]] : [])));
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const silos: Silo[] = ['hospital', 'ems', 'center'];
  const databases = {} as Record<Silo, TestDatabase>;
  const statements = {} as Record<Silo, StatementLog>;
  const subgraphs = {} as Record<Silo, RunningSubgraph<unknown>>;
  const ports = { hospital: await freePort(), ems: await freePort(), center: await freePort() };
  const urls = Object.fromEntries(silos.map((silo) => [silo, `http://127.0.0.1:${ports[silo]}/graphql`])) as Record<Silo, string>;
  const shared = {
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    SEED_DEMO_DATA: 'true',
    // The center signs access tokens; every other service verifies them with the keys it publishes.
    AUTH_JWKS_URL: urls.center.replace('/graphql', '/.well-known/jwks.json'),
    HOSPITAL_URL: urls.hospital,
    EMS_URL: urls.ems,
    CENTER_URL: urls.center,
    EVENT_POLL_WAIT_MS: '5000',
    ...options.env,
  };
  // The silos' secret, found where they find it: the gateway signs the request ids it forwards with it.
  const gatewayEnv = () => gatewaySecretEnvironment(databases.center.env, shared);
  const launch = async (silo: Silo) => {
    const config = loadSubgraphConfig(silo, ports[silo], { ...databases[silo].env, ...shared, [`${silo.toUpperCase()}_PORT`]: String(ports[silo]) });
    subgraphs[silo] = await startSubgraph(DEFINITIONS[silo], config, { onQuery: statements[silo].record });
  };
  const createDatabase = async (silo: Silo) => {
    databases[silo] = options.embeddedDataDir ? embeddedDatabase(options.embeddedDataDir) : await createTestDatabase(silo);
    statements[silo] = new StatementLog();
  };
  let gateway: RunningGateway;
  try {
    await createDatabase('center');
    await Promise.all([createDatabase('hospital'), createDatabase('ems')]);
    await options.prepare?.(databases);
    await launch('center');
    await Promise.all([launch('hospital'), launch('ems')]);
    gateway = await startGatewayInFront(urls, gatewayEnv());
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
    startGateway: (env = {}) => startGatewayInFront(urls, { ...gatewayEnv(), ...env }),
    async restartSubgraph(silo: Silo) {
      if (!stopped.has(silo)) return;
      await launch(silo);
      stopped.delete(silo);
    },
    async stop() {
      await gateway.stop();
      await Promise.all(silos.map((silo) => stopSubgraph(silo)));
      await Promise.all(silos.map((silo) => databases[silo].drop()));
    },
  };
}
