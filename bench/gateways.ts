/**
 * MedPort's gateway side by side with its peers on the same subgraphs: a stock @apollo/gateway (default fetcher and
 * plugins) and Hive Gateway (defaults), serving the same supergraph, with the subgraphs' own answers and plain SQL
 * as the floor. One command:
 *
 *   npx -y pnpm@10 bench                 PostgreSQL at 127.0.0.1:5432 (fresh databases, dropped afterwards)
 *   BENCH_DATABASE=embedded npx -y pnpm@10 bench     the embedded default (PGlite, in a temporary folder)
 *
 * Settings: BENCH_TRIPS (20000: the demo network grown to that many trips), BENCH_SECONDS (10 per run),
 * BENCH_ROUNDS (3), BENCH_CONNECTIONS (50), BENCH_GATEWAYS (medport,apollo,hive; `medport-unshared` adds MedPort's
 * gateway with SHARE_SUBGRAPH_QUERIES=false), BENCH_SCENARIOS (name prefixes; all by default), BENCH_BASE_PORT
 * (4700), BENCH_POSTGRES_URL, BENCH_CPU_PROFILE=1 (V8 profiles of MedPort's services in bench/results/profiles).
 * Prints a table and writes bench/results/gateways.{json,md}.
 *
 * Fairness: every gateway runs as one Node process against the same subgraph processes and data; each scenario
 * is warmed up on each gateway first, then measured in BENCH_ROUNDS rounds in which the gateways take turns in a
 * rotating order (so none always goes first after a pause), with the same connections, duration and body; the
 * figures are medians over the rounds. CPU time is read from /proc for each gateway's process tree. The load
 * generator (autocannon) runs in this process, on the same two cores as everything else, equally for all.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { disableApolloGatewayTelemetry, vendorReportingDisabled } from '@medport/server';
import { postGraphQL } from '@medport/testing';
import pg from 'pg';
import { generateHistory, openSilos } from '../scripts/history.js';
import { cpuMillisecondsOfTree, median, runLoad, waitForQuiet, type LoadResult } from './load.js';
import { CREATE_TRIP, DEEP_NESTING, ONE_TRIP, TRIP_BOARD } from './operations.js';
import { benchmarkProcessEnvironment, portsFrom, root, serviceEnvironment, ServiceProcesses } from './services.js';

const settings = {
  database: (process.env.BENCH_DATABASE ?? 'postgres') as 'postgres' | 'embedded',
  trips: Number(process.env.BENCH_TRIPS ?? 20_000),
  seconds: Number(process.env.BENCH_SECONDS ?? 10),
  rounds: Number(process.env.BENCH_ROUNDS ?? 3),
  connections: Number(process.env.BENCH_CONNECTIONS ?? 50),
  gateways: (process.env.BENCH_GATEWAYS ?? 'medport,apollo,hive').split(',') as GatewayName[],
  scenarios: process.env.BENCH_SCENARIOS?.split(','),
  basePort: Number(process.env.BENCH_BASE_PORT ?? 4700),
  postgres: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432',
};
if (!['postgres', 'embedded'].includes(settings.database)) throw new Error('BENCH_DATABASE is postgres or embedded');

type GatewayName = 'medport' | 'medport-unshared' | 'apollo' | 'hive';
const GATEWAY_LABEL: Record<GatewayName, string> = {
  medport: 'MedPort gateway',
  'medport-unshared': 'MedPort, SHARE_SUBGRAPH_QUERIES=false',
  apollo: 'stock @apollo/gateway',
  hive: 'Hive Gateway',
};

const ports = portsFrom(settings.basePort);
const peerPorts: Record<Exclude<GatewayName, 'medport'>, number> = { apollo: settings.basePort + 4, hive: settings.basePort + 5, 'medport-unshared': settings.basePort + 6 };
const gatewayUrl = (name: GatewayName) => `http://127.0.0.1:${name === 'medport' ? ports.gateway : peerPorts[name]}/graphql`;
const subgraphUrl = (silo: 'hospital' | 'ems' | 'center') => `http://127.0.0.1:${ports[silo]}/graphql`;
const resultsDirectory = join(root, 'bench/results');
mkdirSync(resultsDirectory, { recursive: true });

// ---- the scenarios (operations in operations.ts) ------------------------------------------------------------

interface Scenario {
  name: string;
  body: string;
  account: 'admin' | 'coordinator';
  connections: number;
  /** Writes: the services get time to finish the events each run caused before the next run starts. */
  writes?: boolean;
}

// ---- the stack -------------------------------------------------------------------------------------------------

const SILOS = ['hospital', 'ems', 'center'] as const;
const runId = `${process.pid}`;
const databaseName = (silo: string) => `medport_bench_gw_${runId}_${silo}`;
let dataDirectory: string | null = null;

function databaseEnvironment(): Record<string, string> {
  if (settings.database === 'postgres') {
    return Object.fromEntries(SILOS.map((silo) => [`${silo.toUpperCase()}_DATABASE_URL`, `${settings.postgres}/${databaseName(silo)}`]));
  }
  dataDirectory ??= mkdtempSync(join(tmpdir(), 'medport-bench-'));
  return { MEDPORT_DATA_DIR: dataDirectory };
}

async function administerDatabases(action: 'create' | 'drop') {
  if (settings.database !== 'postgres') return;
  const admin = new pg.Client({ connectionString: `${settings.postgres}/postgres` });
  await admin.connect();
  try {
    for (const silo of SILOS) {
      await admin.query(`drop database if exists ${databaseName(silo)} with (force)`);
      if (action === 'create') await admin.query(`create database ${databaseName(silo)}`);
    }
  } finally {
    await admin.end();
  }
}

/**
 * The demo network grown to BENCH_TRIPS trips (DEMO_TRIPS: hospitals, facilities, agencies, units, each trip with
 * its offers, responses and history), seeded into every silo. The center's facts of those trips are folded from the
 * seeds' events here, as `generate-history` does, so it does not spend the first minutes of the run catching up.
 */
async function loadData() {
  const started = Date.now();
  const silos = await openSilos({ ...process.env, ...databaseEnvironment(), DEMO_TRIPS: String(settings.trips), LOG_LEVEL: 'warn' });
  try {
    const to = new Date();
    await generateHistory(silos.databases, { trips: 0, from: to, to, centerFacts: 'fold' });
  } finally {
    await silos.close();
  }
  // Fresh tables have no statistics until autovacuum comes by; a database in service has them.
  if (settings.database === 'postgres') {
    for (const silo of SILOS) {
      const client = new pg.Client({ connectionString: `${settings.postgres}/${databaseName(silo)}` });
      await client.connect();
      await client.query('analyze').finally(() => client.end());
    }
  }
  console.log(`data: demo network with ${settings.trips.toLocaleString('en-US')} trips on ${settings.database} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

/** The committed supergraph with the subgraph addresses of this run, for the peers (which read them from it). */
function writeBenchSupergraph(): string {
  let sdl = readFileSync(join(root, 'schema/supergraph.graphql'), 'utf8');
  for (const silo of SILOS) sdl = sdl.replace(new RegExp(`(@join__graph\\(name: "${silo}", url: ")[^"]+`), `$1${subgraphUrl(silo)}`);
  const path = join(resultsDirectory, 'supergraph.bench.graphql');
  writeFileSync(path, sdl);
  return path;
}

function startPeer(name: Exclude<GatewayName, 'medport'>, supergraphPath: string, logDirectory: string): ChildProcess {
  const port = String(peerPorts[name]);
  const args =
    name === 'apollo'
      ? ['--import', 'tsx', join(root, 'bench/peers/apollo-gateway.ts'), supergraphPath, port]
      : name === 'medport-unshared'
      ? ['--import', 'tsx', join(root, 'gateway/src/main.ts')]
      : [
          join(root, 'bench/node_modules/@graphql-hive/gateway/dist/bin.js'),
          'supergraph',
          supergraphPath,
          '--port',
          port,
          '--host',
          '127.0.0.1',
          '--config-path',
          join(root, 'bench/peers/hive-gateway.config.ts'),
        ];
  const log = join(logDirectory, `${name}.log`);
  const child = spawn(process.execPath, args, {
    cwd: join(root, 'bench'),
    stdio: ['ignore', 'ignore', 'pipe'],
    env:
      name === 'medport-unshared'
        ? { ...serviceEnvironment(ports, benchmarkLimits), GATEWAY_PORT: port, SHARE_SUBGRAPH_QUERIES: 'false' }
        : benchmarkProcessEnvironment({ ...process.env, NODE_ENV: 'production' }),
  });
  child.stderr!.on('data', (chunk) => writeFileSync(log, chunk, { flag: 'a' }));
  return child;
}

function stopPeer(peer: ChildProcess): Promise<void> {
  if (peer.exitCode !== null || peer.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    peer.once('exit', () => resolve());
    peer.kill('SIGTERM');
  });
}

async function waitAnswering(url: string) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const answered = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' }).then(
      (response) => response.ok,
      () => false,
    );
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer`);
}

// ---- callers ---------------------------------------------------------------------------------------------------

const ACCOUNTS = { admin: 'admin@center.demo', coordinator: 'coordinator@hospital-1.demo' } as const;

/** Fresh tokens (they last 15 minutes) for every account, asked of the center directly so no gateway is favoured. */
async function signIn(): Promise<Record<keyof typeof ACCOUNTS, string>> {
  const tokenOf = async (email: string) => {
    const result = await graphql(subgraphUrl('center'), '', `mutation($email: String!) { login(email: $email, password: "medport-demo") { accessToken } }`, { email });
    return `Bearer ${result.login.accessToken}`;
  };
  return { admin: await tokenOf(ACCOUNTS.admin), coordinator: await tokenOf(ACCOUNTS.coordinator) };
}

/** The data of an operation's answer; any error stops the benchmark. */
async function graphql(url: string, authorization: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const result = await postGraphQL(url, query, variables, authorization ? { authorization } : {});
  if (result.errors) throw new Error(`${url}: ${JSON.stringify(result.errors).slice(0, 500)}`);
  return result.data;
}

// ---- the floor: the subgraphs' own fetches, and plain SQL ------------------------------------------------------

interface RecordedFetch {
  silo: string;
  url: string;
  body: string;
}

/** The subgraph requests a gateway makes for one operation, in order, recorded through an in-process gateway. */
async function recordSubgraphFetches(supergraphPath: string, query: string, variables: Record<string, unknown>, authorization: string) {
  const recorded: RecordedFetch[] = [];
  disableApolloGatewayTelemetry();
  const gateway = new ApolloGateway({
    supergraphSdl: readFileSync(supergraphPath, 'utf8'),
    buildService: ({ name, url }) =>
      new RemoteGraphQLDataSource<{ authorization: string }>({
        url,
        fetcher: (async (input: string, init: RequestInit) => {
          recorded.push({ silo: name, url: input, body: String(init.body) });
          return fetch(input, init);
        }) as never,
        willSendRequest: ({ request, context }) => void request.http?.headers.set('authorization', context.authorization),
      }),
  });
  const server = new ApolloServer<{ authorization: string }>({ gateway, plugins: vendorReportingDisabled<{ authorization: string }>() });
  await server.start();
  try {
    const response = await server.executeOperation({ query, variables }, { contextValue: { authorization } });
    if (response.body.kind !== 'single' || response.body.singleResult.errors) throw new Error(`recording failed: ${JSON.stringify(response.body)}`);
  } finally {
    await server.stop();
  }
  return recorded;
}

/** Latency of one caller sending the same request again and again: medians and tails without queueing. */
async function sequentialLatency(seconds: number, send: () => Promise<void>): Promise<LoadResult> {
  const latencies: number[] = [];
  let failures = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const started = performance.now();
    await send().catch(() => failures++);
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  const at = (share: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * share))]!;
  return { requests: latencies.length, requestsPerSecond: latencies.length / seconds, p50: at(0.5), p99: at(0.99), failures };
}

async function postOnce(url: string, body: string, authorization: string) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
  const text = await response.text();
  if (!response.ok || text.includes('"errors"')) throw new Error(text.slice(0, 300));
}

/**
 * The trip board's data read with plain SQL, as the subgraphs hold it: the page of trips with their facilities
 * (hospital), then in parallel the agencies, units and responses (ems) and the hospitals' names (center).
 */
function plainSqlTripBoard(pools: Record<(typeof SILOS)[number], pg.Pool>, first: number) {
  return async () => {
    const trips = await pools.hospital.query(
      `select t.id, t.status, t.priority, t.transport_level, t.requested_at, t.hospital_id, t.assigned_agency_id,
              t.assigned_unit_id, o.name as origin_name, d.name as destination_name
         from transport_requests t
         join facilities o on o.id = t.origin_facility_id
         join facilities d on d.id = t.destination_facility_id
        order by t.requested_at desc, t.id desc limit $1`,
      [first],
    );
    const ids = trips.rows.map((row) => row.id);
    const agencyIds = [...new Set(trips.rows.map((row) => row.assigned_agency_id).filter(Boolean))];
    const unitIds = [...new Set(trips.rows.map((row) => row.assigned_unit_id).filter(Boolean))];
    const hospitalIds = [...new Set(trips.rows.map((row) => row.hospital_id))];
    await Promise.all([
      pools.ems.query('select id, name, phone from agencies where id = any($1)', [agencyIds]),
      pools.ems.query('select id, unit_number from units where id = any($1)', [unitIds]),
      pools.ems.query(
        `select r.trip_id, r.status, r.responded_at, a.name from trip_responses r join agencies a on a.id = r.agency_id
          where r.trip_id = any($1) order by r.trip_id, r.created_at`,
        [ids],
      ),
      pools.center.query('select id, name from hospitals where id = any($1)', [hospitalIds]),
    ]);
  };
}

// ---- the run ---------------------------------------------------------------------------------------------------

interface Measured extends LoadResult {
  cpuMsPerRequest: number;
  subgraphCpuMsPerRequest: number;
}

// The benchmark asks wide and deep questions on purpose; limits are not what it measures.
const benchmarkLimits = { MAX_COST: '100000000', MAX_DEPTH: '30', MAX_TOKENS: '100000' };

const services = new ServiceProcesses(
  () =>
    serviceEnvironment(ports, {
      ...databaseEnvironment(),
      DEMO_TRIPS: String(settings.trips),
      ...benchmarkLimits,
    }),
  {
    logDirectory: join(resultsDirectory, 'logs'),
    // BENCH_CPU_PROFILE=1: each MedPort service writes a V8 CPU profile to bench/results/profiles when it stops.
    nodeArgs: () => (process.env.BENCH_CPU_PROFILE === '1' ? ['--cpu-prof', '--cpu-prof-dir', join(resultsDirectory, 'profiles')] : []),
  },
);
const peers = new Map<GatewayName, ChildProcess>();
const gatewayPid = (name: GatewayName) => (name === 'medport' ? services.pid('gateway') : peers.get(name)!.pid!);
const subgraphPids = () => SILOS.map((silo) => services.pid(silo));

async function measure(gateway: GatewayName, scenario: Scenario, seconds: number, tokens: Record<string, string>): Promise<Measured> {
  const gatewayCpuBefore = cpuMillisecondsOfTree(gatewayPid(gateway));
  const subgraphCpuBefore = subgraphPids().reduce((sum, pid) => sum + cpuMillisecondsOfTree(pid), 0);
  const result =
    scenario.connections === 1
      ? await sequentialLatency(seconds, () => postOnce(gatewayUrl(gateway), scenario.body, tokens[scenario.account]!))
      : await runLoad({ url: gatewayUrl(gateway), body: scenario.body, authorization: tokens[scenario.account]!, connections: scenario.connections, seconds });
  const gatewayCpu = cpuMillisecondsOfTree(gatewayPid(gateway)) - gatewayCpuBefore;
  const subgraphCpu = subgraphPids().reduce((sum, pid) => sum + cpuMillisecondsOfTree(pid), 0) - subgraphCpuBefore;
  if (scenario.writes) await waitForQuiet(subgraphPids());
  return { ...result, cpuMsPerRequest: gatewayCpu / Math.max(1, result.requests), subgraphCpuMsPerRequest: subgraphCpu / Math.max(1, result.requests) };
}

const summarize = (runs: Measured[]) => ({
  requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)),
  p50: median(runs.map((run) => run.p50)),
  p99: median(runs.map((run) => run.p99)),
  cpuMsPerRequest: median(runs.map((run) => run.cpuMsPerRequest)),
  subgraphCpuMsPerRequest: median(runs.map((run) => run.subgraphCpuMsPerRequest)),
  failures: runs.reduce((sum, run) => sum + run.failures, 0),
  rounds: runs.map(({ requestsPerSecond, p50, p99, cpuMsPerRequest }) => ({ requestsPerSecond, p50, p99, cpuMsPerRequest })),
});
type Summary = ReturnType<typeof summarize>;

function versionOf(packageJson: string): string {
  return (JSON.parse(readFileSync(join(root, packageJson), 'utf8')) as { version: string }).version;
}

const logDirectory = join(resultsDirectory, 'logs');
mkdirSync(logDirectory, { recursive: true });
const startedAt = new Date();
let pools = null as Record<(typeof SILOS)[number], pg.Pool> | null;
try {
  await administerDatabases('create');
  await loadData();
  await services.startAll(ports);
  const supergraphPath = writeBenchSupergraph();
  for (const name of settings.gateways) if (name !== 'medport') peers.set(name, startPeer(name, supergraphPath, logDirectory));
  await Promise.all(settings.gateways.map((name) => waitAnswering(gatewayUrl(name))));
  // The center folds the demo's events after a start; measuring starts once the services have settled.
  await waitForQuiet(subgraphPids(), 0.1, 120_000);

  let tokens = await signIn();
  const board = await graphql(gatewayUrl('medport'), tokens.admin, TRIP_BOARD, { first: 50 });
  const tripWithEverything = (board.transportRequests.nodes as any[]).find((trip) => trip.assignedUnit && trip.responses.length > 1) ?? board.transportRequests.nodes[0];
  // A trip the coordinator's hospital requested before: its facilities are valid for a new request.
  const ownTrips = await graphql(gatewayUrl('medport'), tokens.coordinator, `{ transportRequests(first: 1) { nodes { origin { id } destination { id } } } }`);
  const { origin, destination } = ownTrips.transportRequests.nodes[0] as { origin: { id: string }; destination: { id: string } };

  const allScenarios: Scenario[] = [
    { name: 'trip board (50 trips, 3 silos)', body: JSON.stringify({ query: TRIP_BOARD, variables: { first: 50 } }), account: 'admin', connections: settings.connections },
    { name: 'deep nesting (agencies → trips → hospital → facilities → trips → agency)', body: JSON.stringify({ query: DEEP_NESTING }), account: 'admin', connections: settings.connections },
    { name: 'one trip by id (1 caller)', body: JSON.stringify({ query: ONE_TRIP, variables: { id: tripWithEverything.id } }), account: 'admin', connections: 1 },
    { name: 'trip board (1 caller)', body: JSON.stringify({ query: TRIP_BOARD, variables: { first: 50 } }), account: 'admin', connections: 1 },
    {
      name: 'create transport request',
      body: JSON.stringify({
        query: CREATE_TRIP,
        variables: { input: { originFacilityId: origin.id, destinationFacilityId: destination.id, patientReference: 'MRN-BENCH-1', transportLevel: 'BLS', priority: 'ROUTINE' } },
      }),
      account: 'coordinator',
      connections: settings.connections,
      writes: true,
    },
  ];
  const scenarios = allScenarios.filter((scenario) => !settings.scenarios || settings.scenarios.some((wanted) => scenario.name.startsWith(wanted)));

  // Warm-up: JIT, connection pools, plan caches of every gateway for every scenario.
  for (const scenario of scenarios) for (const gateway of settings.gateways) await measure(gateway, scenario, Math.min(3, settings.seconds), tokens);

  const runs = new Map<string, Map<GatewayName, Measured[]>>(scenarios.map((scenario) => [scenario.name, new Map(settings.gateways.map((gateway) => [gateway, []]))]));
  for (let round = 0; round < settings.rounds; round++) {
    tokens = await signIn();
    for (const scenario of scenarios) {
      const order = settings.gateways.map((_, index) => settings.gateways[(index + round) % settings.gateways.length]!);
      for (const gateway of order) {
        const measured = await measure(gateway, scenario, settings.seconds, tokens);
        runs.get(scenario.name)!.get(gateway)!.push(measured);
        console.log(
          `round ${round + 1} · ${scenario.name} · ${GATEWAY_LABEL[gateway]}: ${Math.round(measured.requestsPerSecond)} req/s, p50 ${measured.p50.toFixed(1)} ms, p99 ${measured.p99.toFixed(1)} ms, ${measured.cpuMsPerRequest.toFixed(2)} ms CPU/request, ${measured.failures} failures`,
        );
      }
    }
  }

  // The floor, measured once the gateways are done: each subgraph fetch of the trip board sent directly, and the
  // same data read with plain SQL (PostgreSQL only: the embedded databases belong to their services' processes).
  const recorded = await recordSubgraphFetches(supergraphPath, TRIP_BOARD, { first: 50 }, tokens.admin);
  const floorRuns = new Map<string, LoadResult[]>();
  if (settings.database === 'postgres') {
    pools = Object.fromEntries(SILOS.map((silo) => [silo, new pg.Pool({ connectionString: `${settings.postgres}/${databaseName(silo)}`, max: 4 })])) as never;
  }
  for (let round = 0; round < settings.rounds; round++) {
    tokens = await signIn();
    for (const [index, fetchOf] of recorded.entries()) {
      const name = `direct ${index + 1}: ${fetchOf.silo}`;
      floorRuns.set(name, [...(floorRuns.get(name) ?? []), await sequentialLatency(settings.seconds, () => postOnce(fetchOf.url, fetchOf.body, tokens.admin))]);
    }
    if (pools) floorRuns.set('plain SQL', [...(floorRuns.get('plain SQL') ?? []), await sequentialLatency(settings.seconds, plainSqlTripBoard(pools, 50))]);
  }

  // ---- report ----
  const results = Object.fromEntries(
    [...runs].map(([scenario, byGateway]) => [scenario, Object.fromEntries([...byGateway].map(([gateway, measured]) => [gateway, summarize(measured)]))]),
  ) as Record<string, Partial<Record<GatewayName, Summary>>>;
  const floor = Object.fromEntries([...floorRuns].map(([name, measured]) => [name, { p50: median(measured.map((run) => run.p50)), p99: median(measured.map((run) => run.p99)) }]));
  const directSum = Object.entries(floor)
    .filter(([name]) => name.startsWith('direct'))
    .reduce((sum, [, value]) => sum + value.p50, 0);
  const ratio = (scenario: Partial<Record<GatewayName, Summary>>, peer: GatewayName) => {
    const ours = scenario.medport;
    const theirs = scenario[peer];
    if (!ours || !theirs) return null;
    return {
      requestsPerSecond: ours.requestsPerSecond / theirs.requestsPerSecond,
      p50: ours.p50 / theirs.p50,
      p99: ours.p99 / theirs.p99,
      cpuMsPerRequest: ours.cpuMsPerRequest / theirs.cpuMsPerRequest,
    };
  };
  const ratios = Object.fromEntries(Object.entries(results).map(([scenario, byGateway]) => [scenario, { hive: ratio(byGateway, 'hive'), apollo: ratio(byGateway, 'apollo') }]));
  const oneCallerBoard = results['trip board (1 caller)']?.medport;
  const machine = {
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    postgres: settings.database === 'postgres' ? execFileSync('psql', ['--version']).toString().trim() : 'embedded PGlite',
  };
  const versions = {
    '@apollo/gateway': versionOf('bench/node_modules/@apollo/gateway/package.json'),
    '@apollo/server': versionOf('bench/node_modules/@apollo/server/package.json'),
    '@graphql-hive/gateway': versionOf('bench/node_modules/@graphql-hive/gateway/package.json'),
    autocannon: versionOf('bench/node_modules/autocannon/package.json'),
    medport: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim(),
  };
  const command = `${Object.entries(process.env)
    .filter(([key]) => key.startsWith('BENCH_'))
    .map(([key, value]) => `${key}=${value} `)
    .join('')}npx -y pnpm@10 bench`;
  const report = {
    startedAt: startedAt.toISOString(),
    command,
    settings,
    machine,
    versions,
    results,
    ratios,
    floor: { recordedFetches: recorded.map(({ silo }) => silo), ...floor, sumOfDirectP50: directSum },
    overhead: oneCallerBoard ? { gatewayP50: oneCallerBoard.p50, sumOfDirectP50: directSum, ratio: oneCallerBoard.p50 / directSum } : null,
  };
  writeFileSync(join(resultsDirectory, 'gateways.json'), `${JSON.stringify(report, null, 2)}\n`);
  const markdown = markdownReport(report);
  writeFileSync(join(resultsDirectory, 'gateways.md'), markdown);
  console.log(`\n${markdown}`);
} finally {
  if (pools) await Promise.all(Object.values(pools).map((pool: pg.Pool) => pool.end()));
  // Peers are waited for, so that what they send while stopping is in the outbound record too.
  await Promise.all([...peers.values()].map(stopPeer));
  await services.stopAll();
  await administerDatabases('drop').catch((error) => console.error('could not drop the benchmark databases:', error));
  if (dataDirectory) rmSync(dataDirectory, { recursive: true, force: true });
}

function markdownReport(report: any): string {
  const number = (value: number | undefined, digits = 1) => (value === undefined ? '–' : value.toFixed(digits));
  const lines = [
    `# Gateway benchmark, ${report.startedAt.slice(0, 10)}`,
    '',
    `Command: \`${report.command}\``,
    '',
    `Machine: ${report.machine.cpus}, ${report.machine.memory}, Node ${report.machine.node}, ${report.machine.postgres}. ` +
      `Versions: MedPort ${report.versions.medport}, @apollo/gateway ${report.versions['@apollo/gateway']} + @apollo/server ${report.versions['@apollo/server']}, ` +
      `@graphql-hive/gateway ${report.versions['@graphql-hive/gateway']}, autocannon ${report.versions.autocannon}.`,
    '',
    `Data: the demo network grown to ${report.settings.trips} trips on ${report.settings.database}. ${report.settings.rounds} rounds × ${report.settings.seconds} s per gateway and scenario, gateways alternating, medians.`,
    '',
    '| scenario | gateway | req/s | p50 ms | p99 ms | gateway CPU ms/req | subgraphs CPU ms/req | failures |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const [scenario, byGateway] of Object.entries(report.results as Record<string, Record<string, Summary>>)) {
    for (const [gateway, summary] of Object.entries(byGateway)) {
      lines.push(
        `| ${scenario} | ${GATEWAY_LABEL[gateway as GatewayName]} | ${Math.round(summary.requestsPerSecond)} | ${number(summary.p50)} | ${number(summary.p99)} | ${number(summary.cpuMsPerRequest, 2)} | ${number(summary.subgraphCpuMsPerRequest, 2)} | ${summary.failures} |`,
      );
    }
  }
  lines.push('', '| scenario | MedPort / Hive req/s · p50 · p99 · CPU | MedPort / stock req/s · p50 · p99 · CPU |', '|---|---|---|');
  for (const [scenario, { hive, apollo }] of Object.entries(report.ratios as Record<string, Record<string, any>>)) {
    const cell = (value: any) => (value ? `${number(value.requestsPerSecond, 2)}× · ${number(value.p50, 2)} · ${number(value.p99, 2)} · ${number(value.cpuMsPerRequest, 2)}` : '–');
    lines.push(`| ${scenario} | ${cell(hive)} | ${cell(apollo)} |`);
  }
  lines.push('', 'Floor (1 caller, the trip board of 50): each subgraph fetch the gateway makes, sent directly, and plain SQL.', '', '| read | p50 ms | p99 ms |', '|---|---|---|');
  for (const [name, value] of Object.entries(report.floor as Record<string, any>)) {
    if (typeof value === 'object' && value && 'p50' in value) lines.push(`| ${name} | ${number(value.p50, 2)} | ${number(value.p99, 2)} |`);
  }
  if (report.overhead) {
    lines.push('', `Gateway overhead: trip board p50 through MedPort's gateway ${number(report.overhead.gatewayP50, 2)} ms vs the sum of its direct subgraph fetches ${number(report.overhead.sumOfDirectP50, 2)} ms = ${number(report.overhead.ratio, 2)}×.`);
  }
  return `${lines.join('\n')}\n`;
}
