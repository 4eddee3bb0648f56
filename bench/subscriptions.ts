/**
 * Live subscription benchmark: how long a trip's REQUESTED event takes to reach N subscribers of one gateway, and
 * what an idle subscription costs the gateway in memory.
 *
 * Starts the three subgraphs and the gateway as separate production-mode processes on fresh PostgreSQL databases,
 * then for each round, scope mode and N of SUBS_COUNTS, on a new gateway process warmed up by one subscriber:
 *   1. opens N graphql-ws connections to the gateway (one per subscriber, as phones would), SUBS_CONNECT_BATCH at a
 *      time, each holding one `tripStatusChanged` subscription; SUBS_SCOPES=single: all as hospital 1's coordinator
 *      (many screens of one hospital: one shared upstream); mixed: spread over the coordinators of hospitals 1–4 and
 *      the center admin (five upstreams);
 *   2. creates probe trips until every subscriber has received one (so every subscription is live), lets them idle
 *      SUBS_IDLE_MS and reads the gateway's RSS (/proc/<pid>/status VmRSS) against the one read before opening them,
 *      and counts the gateway's TCP connections to the hospital (its upstream subscriptions, once idle);
 *   3. creates SUBS_EVENTS trips one at a time (mixed: by hospitals 1–4 in turn), each after every expected event of
 *      the previous one arrived (or SUBS_EVENT_TIMEOUT_MS passed) and a pause of SUBS_PAUSE_MS, and records when
 *      each subscriber received each trip's event: latency from the mutation's HTTP response (the commit is done;
 *      negative when the event came first, never clipped) and from sending it (an upper bound). Every subscriber
 *      must receive every event of its scope exactly once: missing, duplicate and out-of-scope events are counted
 *      (the run fails unless all are 0). Also recorded: response → first subscriber and first → last subscriber
 *      per event (pipeline vs fan-out), CPU time of each process per event (/proc/<pid>/stat), and the oldest
 *      transaction on the PostgreSQL server (the feeds wait for every running transaction, in any database).
 * Medians over SUBS_ROUNDS rounds are printed and written to bench/results/subscriptions.json. The load generator
 * (this process: every subscriber's socket) shares the machine with the services and PostgreSQL.
 *
 *   npx -y pnpm@10 bench:subscriptions     SUBS_COUNTS=1,100,1000 SUBS_EVENTS=50 SUBS_ROUNDS=3 SUBS_SCOPES=single
 *                                          (or mixed, or single,mixed) SUBS_PAUSE_MS=200 SUBS_IDLE_MS=5000
 *                                          SUBS_CONNECT_BATCH=50 SUBS_EVENT_TIMEOUT_MS=10000 BENCH_BASE_PORT=4800
 *   Diagnostics:                           SUBS_PROFILE=1 writes CPU profiles of the gateway to bench/results/profiles
 *                                          SUBS_DIRECT=1 adds one subscriber straight on the hospital subgraph (no
 *                                          gateway; one more listener there), to split the latency at the gateway
 *                                          SUBS_SELECTION=own subscribes without the other silos' fields (hospital
 *                                          { name }, assignedAgency { name }): no per-event fetch at the gateway
 *                                          SUBS_LOG_DIR=dir appends each service's log (stdout) to dir/<service>.log
 */
import { mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { demo } from '@medport/domain';
import { createTestDatabase, openLiveConnection, TEST_POSTGRES_URL, type LiveConnection, type TestDatabase } from '@medport/testing';
import pg from 'pg';
import { portsFrom, root, serviceEnvironment, ServiceProcesses, waitReady, type Service } from './services.js';

const counts = (process.env.SUBS_COUNTS ?? '1,100,1000').split(',').map(Number);
const eventsPerRun = Number(process.env.SUBS_EVENTS ?? 50);
const rounds = Number(process.env.SUBS_ROUNDS ?? 3);
const scopeModes = (process.env.SUBS_SCOPES ?? 'single').split(',') as ('single' | 'mixed')[];
const pauseMs = Number(process.env.SUBS_PAUSE_MS ?? 200);
const idleMs = Number(process.env.SUBS_IDLE_MS ?? 5_000);
const connectBatch = Number(process.env.SUBS_CONNECT_BATCH ?? 50);
const eventTimeoutMs = Number(process.env.SUBS_EVENT_TIMEOUT_MS ?? 10_000);
const profile = process.env.SUBS_PROFILE === '1';
const direct = process.env.SUBS_DIRECT === '1';
const logDirectory = process.env.SUBS_LOG_DIR;
const selection = process.env.SUBS_SELECTION ?? 'full';
if (selection !== 'full' && selection !== 'own') throw new Error(`SUBS_SELECTION: unknown selection ${selection}`);
const basePort = Number(process.env.BENCH_BASE_PORT ?? 4800);
for (const mode of scopeModes) if (mode !== 'single' && mode !== 'mixed') throw new Error(`SUBS_SCOPES: unknown mode ${mode}`);

const ports = portsFrom(basePort);
const gatewayUrl = `http://127.0.0.1:${ports.gateway}/graphql`;
const network = demo.buildDemoNetwork();
const hospitals = network.hospitals.slice(0, 4);

const STATUS_CHANGES = `subscription($id: ID) {
  tripStatusChanged(transportRequestId: $id) {
    status previousStatus changedAt
    transportRequest { id status${selection === 'full' ? ' hospital { name } assignedAgency { name }' : ''} }
  }
}`;
const CREATE_TRIP = `mutation($input: CreateTransportRequestInput!) { createTransportRequest(input: $input) { id } }`;

/** Who a subscriber is: a hospital's coordinator (sees that hospital's trips) or the center admin (sees all). */
interface Scope {
  email: string;
  hospitalId: string | null;
}
const coordinatorOf = (index: number): Scope => ({ email: `coordinator@${hospitals[index]!.slug}.demo`, hospitalId: hospitals[index]!.id });
const centerAdmin: Scope = { email: 'admin@center.demo', hospitalId: null };
const MIXED_SCOPES: Scope[] = [...hospitals.map((_, index) => coordinatorOf(index)), centerAdmin];

let databases: Record<'hospital' | 'ems' | 'center', TestDatabase> | undefined;
const created: TestDatabase[] = [];
const open = new Set<LiveConnection>();
const services = new ServiceProcesses(
  () => serviceEnvironment(ports, { ...databases!.hospital.env, ...databases!.ems.env, ...databases!.center.env }),
  {
    logDirectory,
    nodeArgs: (service) => {
      if (service !== 'gateway' || !profile) return [];
      const directory = `${root}/bench/results/profiles`;
      mkdirSync(directory, { recursive: true });
      return ['--cpu-prof', `--cpu-prof-dir=${directory}`];
    },
  },
);

async function graphql(query: string, variables: Record<string, unknown>, token?: string) {
  const response = await fetch(gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function signIn(email: string): Promise<string> {
  const data = await graphql(`mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }`, {
    email,
    password: demo.DEMO_PASSWORD,
  });
  return data.login.accessToken;
}

let sequence = 0;

/** Creates a trip of the given hospital as its coordinator; returns when the HTTP response is in. */
async function createTrip(hospitalIndex: number, token: string): Promise<string> {
  sequence += 1;
  const [origin, destination] = network.facilities.filter((facility) => facility.hospitalId === hospitals[hospitalIndex]!.id);
  const data = await graphql(
    CREATE_TRIP,
    {
      input: {
        originFacilityId: origin!.id,
        destinationFacilityId: destination!.id,
        patientReference: `BENCH-SUBS-${sequence}`,
        transportLevel: 'BLS',
        priority: 'ROUTINE',
      },
    },
    token,
  );
  return data.createTransportRequest.id;
}

// ---- what the services cost, from /proc ----

function rssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((entry) => entry.startsWith('VmRSS:'));
  return Number(line!.split(/\s+/)[1]);
}

/** CPU time (user + system) a process used so far, in milliseconds (clock ticks at the usual 100 Hz). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * Established TCP connections of `pid` to 127.0.0.1:`port`: with no HTTP request for a few seconds (keep-alive
 * connections closed), the gateway's connections to the hospital are its upstream subscriptions.
 */
function connectionsTo(pid: number, port: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // closed while listing
    }
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let found = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      if (columns.length < 10) continue;
      if (columns[2]!.endsWith(`:${hexPort}`) && columns[3] === '01' && inodes.has(columns[9]!)) found += 1;
    }
  }
  return found;
}

const pidOf = (service: Service) => services.pid(service);

let server: pg.Client | undefined;

/**
 * Samples, twice a second until stopped, the oldest transaction holding a transaction id on the PostgreSQL server.
 * The silos' feeds serve only events older than every such transaction on the server, in any database: one left
 * open elsewhere (another test suite on the same server) holds back every live event here while it runs.
 */
function watchTransactions() {
  let oldest = { seconds: 0, database: '' };
  let watching = true;
  const done = (async () => {
    while (watching) {
      const result = await server!
        .query<{ datname: string | null; seconds: number }>(
          `select datname, extract(epoch from now() - xact_start)::float8 as seconds from pg_stat_activity
           where backend_xid is not null and pid <> pg_backend_pid() order by xact_start limit 1`,
        )
        .catch(() => null);
      if (!result) break; // the benchmark is stopping
      const row = result.rows[0];
      if (row && row.seconds > oldest.seconds) oldest = { seconds: round1(row.seconds), database: row.datname ?? '' };
      await sleep(500);
    }
  })();
  return async () => {
    watching = false;
    await done;
    return oldest;
  };
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- statistics ----

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
};
const round1 = (value: number) => Math.round(value * 10) / 10;
function distribution(values: number[]) {
  const sorted = Float64Array.from(values).sort();
  const list = Array.from(sorted);
  return {
    min: round1(list[0]!),
    p50: round1(percentile(list, 50)),
    p90: round1(percentile(list, 90)),
    p99: round1(percentile(list, 99)),
    max: round1(list[list.length - 1]!),
  };
}

// ---- one measurement ----

interface Subscriber {
  scope: Scope;
  connection: LiveConnection;
  /** Receipt times (performance.now()) of each trip's events. */
  received: Map<string, number[]>;
  /** Why its subscription or connection ended, if it did. */
  failed: string | null;
}

function describeEnd(end: unknown): string {
  if (Array.isArray(end)) return end.map((error) => `${error?.extensions?.code ?? ''} ${error?.message ?? JSON.stringify(error)}`.trim()).join('; ');
  if (end && typeof end === 'object' && 'code' in end) return `socket closed ${(end as { code: unknown }).code} ${String((end as { reason?: unknown }).reason ?? '')}`.trim();
  return end instanceof Error ? end.message : String(end);
}

function reasons(subscribers: Subscriber[]): Record<string, number> {
  const counted: Record<string, number> = {};
  for (const { failed } of subscribers) if (failed !== null) counted[failed] = (counted[failed] ?? 0) + 1;
  return counted;
}

interface Measurement {
  mode: 'single' | 'mixed';
  subscribers: number;
  events: number;
  fromResponseMs: ReturnType<typeof distribution>;
  fromSendMs: ReturnType<typeof distribution>;
  /** From the response to the first subscriber's receipt, per event: the pipeline without the fan-out. */
  firstFromResponseMs: ReturnType<typeof distribution>;
  /** Last receipt − first receipt per event: the fan-out to N sockets (gateway and this process). */
  spreadMs: ReturnType<typeof distribution>;
  /** SUBS_DIRECT=1: from the response to the receipt by a subscriber on the hospital subgraph itself. */
  hospitalDirectFromResponseMs?: ReturnType<typeof distribution>;
  missing: number;
  duplicates: number;
  outOfScope: number;
  errors: number;
  failedSubscriptions: number;
  /** Why subscriptions ended during the run, with how many did so for each reason. */
  failureReasons: Record<string, number>;
  connectSeconds: number;
  gatewayRssBeforeMiB: number;
  gatewayRssAfterMiB: number;
  rssPerSubscriptionKiB: number;
  gatewayToHospitalConnections: { before: number; subscribedIdle: number };
  /** CPU milliseconds each process used per event during the measured events. */
  cpuMsPerEvent: Record<Service | 'bench', number>;
  /** The oldest transaction holding back the feeds during the measurement (see watchTransactions). */
  oldestTransaction: { seconds: number; database: string };
  /** The machine's 1-minute load average after the measured events (other work on it shows here). */
  loadAverage: number;
}

function expectedFor(scope: Scope, hospitalIndex: number) {
  return scope.hospitalId === null || scope.hospitalId === hospitals[hospitalIndex]!.id;
}

async function measure(mode: 'single' | 'mixed', n: number, events: number, idle = idleMs): Promise<Measurement> {
  const scopes = mode === 'single' ? [coordinatorOf(0)] : MIXED_SCOPES;
  const tripHospitals = mode === 'single' ? [0] : [0, 1, 2, 3];
  const tokens = new Map<string, string>();
  for (const scope of [...scopes, ...tripHospitals.map(coordinatorOf)]) {
    if (!tokens.has(scope.email)) tokens.set(scope.email, await signIn(scope.email));
  }
  const gatewayPid = pidOf('gateway');
  const transactions = watchTransactions();
  await sleep(idle); // the sign-ins' and the last run's keep-alive connections close
  const rssBefore = rssKiB(gatewayPid);
  const hospitalConnectionsBefore = connectionsTo(gatewayPid, ports.hospital);

  // Arrivals by trip, and waiters for a trip's last expected arrival.
  const arrivals = new Map<string, number>();
  const waiters = new Map<string, { expected: number; resolve: () => void }>();
  let errors = 0;
  const arrived = (tripId: string) => {
    const count = (arrivals.get(tripId) ?? 0) + 1;
    arrivals.set(tripId, count);
    const waiter = waiters.get(tripId);
    if (waiter && count >= waiter.expected) waiter.resolve();
  };
  const allArrived = (tripId: string, expected: number, timeoutMs: number) =>
    new Promise<boolean>((resolve) => {
      if ((arrivals.get(tripId) ?? 0) >= expected) return resolve(true);
      const timer = setTimeout(() => {
        waiters.delete(tripId);
        resolve(false);
      }, timeoutMs);
      waiters.set(tripId, {
        expected,
        resolve: () => {
          clearTimeout(timer);
          waiters.delete(tripId);
          resolve(true);
        },
      });
    });

  const subscribers: Subscriber[] = [];
  const connecting = Date.now();
  for (let start = 0; start < n; start += connectBatch) {
    const batch = Array.from({ length: Math.min(connectBatch, n - start) }, async (_, offset) => {
      const scope = scopes[(start + offset) % scopes.length]!;
      const connection = openLiveConnection(gatewayUrl, tokens.get(scope.email)!);
      open.add(connection);
      const subscriber: Subscriber = { scope, connection, received: new Map(), failed: null };
      subscribers.push(subscriber);
      void connection.closed.then((closed) => (subscriber.failed ??= describeEnd(closed)));
      const connected = new Promise<void>((resolve, reject) => {
        connection.client.on('connected', () => resolve());
        void connection.closed.then((closed) => reject(new Error(`connection closed before it was acknowledged: ${closed.code} ${closed.reason}`)));
        setTimeout(() => reject(new Error('connection not acknowledged within 15 s')), 15_000).unref();
      });
      connection.client.subscribe<any>(
        { query: STATUS_CHANGES, variables: {} },
        {
          next: (result) => {
            const at = performance.now();
            const change = result.data?.tripStatusChanged;
            if (result.errors || !change?.status || (selection === 'full' && !change.transportRequest?.hospital?.name)) errors += 1;
            const tripId: string | undefined = change?.transportRequest?.id;
            if (!tripId) return;
            const times = subscriber.received.get(tripId);
            if (times) times.push(at);
            else subscriber.received.set(tripId, [at]);
            arrived(tripId);
          },
          error: (error) => (subscriber.failed ??= describeEnd(error)),
          complete: () => (subscriber.failed ??= 'completed by the server'),
        },
      );
      await connected;
    });
    await Promise.all(batch);
  }

  // SUBS_DIRECT=1: one subscriber on the hospital subgraph itself, in a scope that sees every trip created.
  const directReceived = new Map<string, number>();
  let directConnection: LiveConnection | undefined;
  if (direct) {
    directConnection = openLiveConnection(`http://127.0.0.1:${ports.hospital}/graphql`, tokens.get(scopes[scopes.length - 1]!.email)!);
    open.add(directConnection);
    directConnection.client.subscribe<any>(
      { query: `subscription { tripStatusChanged { status transportRequest { id } } }`, variables: {} },
      {
        next: (result) => {
          const at = performance.now();
          const tripId: string | undefined = result.data?.tripStatusChanged?.transportRequest?.id;
          if (tripId && !directReceived.has(tripId)) directReceived.set(tripId, at);
        },
        error: (error) => console.error('direct subscriber failed', error),
        complete: () => {},
      },
    );
  }

  // Probe trips until every subscription is live (its first event proves it joined a listening upstream).
  const probes = new Set<string>();
  const live = () =>
    subscribers.every((subscriber) => [...probes].some((id) => subscriber.received.has(id))) && (!direct || [...probes].some((id) => directReceived.has(id)));
  for (let attempt = 0; !live(); attempt += 1) {
    if (attempt === 20) {
      const oldest = await transactions();
      const silent = subscribers.filter((subscriber) => ![...probes].some((id) => subscriber.received.has(id)));
      throw new Error(`${silent.length} of ${n} subscriptions never received a probe; ended: ${JSON.stringify(reasons(silent))}; oldest transaction on the server: ${oldest.seconds} s in ${oldest.database}`);
    }
    for (const hospitalIndex of tripHospitals) probes.add(await createTrip(hospitalIndex, tokens.get(coordinatorOf(hospitalIndex).email)!));
    const deadline = Date.now() + 3_000;
    while (!live() && Date.now() < deadline) await sleep(20);
  }
  const connectSeconds = (Date.now() - connecting) / 1000;
  await sleep(idle);
  const rssAfter = rssKiB(gatewayPid);
  const hospitalConnectionsIdle = connectionsTo(gatewayPid, ports.hospital);

  // The measured events, one at a time.
  const trips: { id: string; hospitalIndex: number; sentAt: number; respondedAt: number }[] = [];
  const services: Service[] = ['gateway', 'hospital', 'ems', 'center'];
  const cpuBefore = Object.fromEntries(services.map((service) => [service, cpuMs(pidOf(service))]));
  const benchCpuBefore = process.cpuUsage();
  for (let index = 0; index < events; index += 1) {
    const hospitalIndex = tripHospitals[index % tripHospitals.length]!;
    const sentAt = performance.now();
    const id = await createTrip(hospitalIndex, tokens.get(coordinatorOf(hospitalIndex).email)!);
    const respondedAt = performance.now();
    trips.push({ id, hospitalIndex, sentAt, respondedAt });
    const expected = subscribers.filter((subscriber) => expectedFor(subscriber.scope, hospitalIndex)).length;
    await allArrived(id, expected, eventTimeoutMs);
    await sleep(pauseMs);
  }
  const benchCpu = process.cpuUsage(benchCpuBefore);
  const cpuMsPerEvent = {
    ...Object.fromEntries(services.map((service) => [service, round1((cpuMs(pidOf(service)) - cpuBefore[service]!) / events)])),
    bench: round1((benchCpu.user + benchCpu.system) / 1000 / events),
  } as Measurement['cpuMsPerEvent'];
  await sleep(500); // late duplicates would arrive now

  const fromResponse: number[] = [];
  const fromSend: number[] = [];
  const firsts: number[] = [];
  const spreads: number[] = [];
  let missing = 0;
  let duplicates = 0;
  let outOfScope = 0;
  for (const trip of trips) {
    let first = Infinity;
    let last = -Infinity;
    for (const subscriber of subscribers) {
      const times = subscriber.received.get(trip.id);
      if (!expectedFor(subscriber.scope, trip.hospitalIndex)) {
        if (times) outOfScope += times.length;
        continue;
      }
      if (!times) {
        missing += 1;
        continue;
      }
      duplicates += times.length - 1;
      fromResponse.push(times[0]! - trip.respondedAt);
      fromSend.push(times[0]! - trip.sentAt);
      first = Math.min(first, times[0]!);
      last = Math.max(last, times[0]!);
    }
    if (first !== Infinity) {
      firsts.push(first - trip.respondedAt);
      spreads.push(last - first);
    }
  }
  const oldestTransaction = await transactions();
  const failedSubscriptions = subscribers.filter((subscriber) => subscriber.failed !== null).length;
  const failureReasons = reasons(subscribers);

  const directLatencies = trips.filter((trip) => directReceived.has(trip.id)).map((trip) => directReceived.get(trip.id)! - trip.respondedAt);
  if (directConnection) {
    await directConnection.dispose();
    open.delete(directConnection);
  }
  await Promise.allSettled(subscribers.map((subscriber) => subscriber.connection.dispose()));
  for (const subscriber of subscribers) open.delete(subscriber.connection);

  return {
    mode,
    subscribers: n,
    events: trips.length,
    fromResponseMs: distribution(fromResponse.length ? fromResponse : [NaN]),
    fromSendMs: distribution(fromSend.length ? fromSend : [NaN]),
    firstFromResponseMs: distribution(firsts.length ? firsts : [NaN]),
    spreadMs: distribution(spreads.length ? spreads : [NaN]),
    ...(direct ? { hospitalDirectFromResponseMs: distribution(directLatencies.length ? directLatencies : [NaN]) } : {}),
    missing,
    duplicates,
    outOfScope,
    errors,
    failedSubscriptions,
    failureReasons,
    connectSeconds: round1(connectSeconds),
    gatewayRssBeforeMiB: round1(rssBefore / 1024),
    gatewayRssAfterMiB: round1(rssAfter / 1024),
    rssPerSubscriptionKiB: round1((rssAfter - rssBefore) / n),
    gatewayToHospitalConnections: { before: hospitalConnectionsBefore, subscribedIdle: hospitalConnectionsIdle },
    cpuMsPerEvent,
    oldestTransaction,
    loadAverage: round1(loadavg()[0]!),
  };
}

// ---- the run ----

function medianOf(runs: Measurement[]) {
  const pick = (get: (run: Measurement) => number) => round1(median(runs.map(get)));
  const dist = (get: (run: Measurement) => ReturnType<typeof distribution>) => ({
    min: round1(Math.min(...runs.map((run) => get(run).min))),
    p50: pick((run) => get(run).p50),
    p90: pick((run) => get(run).p90),
    p99: pick((run) => get(run).p99),
    max: pick((run) => get(run).max),
  });
  return {
    mode: runs[0]!.mode,
    subscribers: runs[0]!.subscribers,
    rounds: runs.length,
    eventsPerRound: runs[0]!.events,
    fromResponseMs: dist((run) => run.fromResponseMs),
    fromSendMs: dist((run) => run.fromSendMs),
    firstFromResponseMs: dist((run) => run.firstFromResponseMs),
    spreadMs: dist((run) => run.spreadMs),
    ...(direct ? { hospitalDirectFromResponseMs: dist((run) => run.hospitalDirectFromResponseMs!) } : {}),
    // Totals over the rounds: each must be 0.
    missing: runs.reduce((sum, run) => sum + run.missing, 0),
    duplicates: runs.reduce((sum, run) => sum + run.duplicates, 0),
    outOfScope: runs.reduce((sum, run) => sum + run.outOfScope, 0),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    failedSubscriptions: runs.reduce((sum, run) => sum + run.failedSubscriptions, 0),
    connectSeconds: pick((run) => run.connectSeconds),
    gatewayRssBeforeMiB: pick((run) => run.gatewayRssBeforeMiB),
    gatewayRssAfterMiB: pick((run) => run.gatewayRssAfterMiB),
    rssPerSubscriptionKiB: pick((run) => run.rssPerSubscriptionKiB),
    gatewayToHospitalConnectionsIdle: pick((run) => run.gatewayToHospitalConnections.subscribedIdle),
    loadAverage: pick((run) => run.loadAverage),
    oldestTransactionSeconds: Math.max(...runs.map((run) => run.oldestTransaction.seconds)),
    cpuMsPerEvent: Object.fromEntries(
      (['gateway', 'hospital', 'ems', 'center', 'bench'] as const).map((service) => [service, pick((run) => run.cpuMsPerEvent[service])]),
    ),
  };
}

async function main() {
  // Each database is kept as soon as it exists, so a failure between them still drops the first ones.
  for (const silo of ['hospital', 'ems', 'center'] as const) created.push(await createTestDatabase(silo));
  databases = { hospital: created[0]!, ems: created[1]!, center: created[2]! };
  server = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await server.connect();
  console.log(`databases: ${created.map((database) => (database.url ? new URL(database.url).pathname.slice(1) : database.kind)).join(', ')}`);
  if (databases.hospital.kind !== 'postgres') throw new Error('The subscriptions benchmark needs PostgreSQL (TEST_POSTGRES_URL).');
  await services.startAll(ports);

  // Warm-up of the subgraphs: pools, JIT, the JWKS cache.
  console.log('warm-up');
  await measure(scopeModes[0]!, Math.min(10, Math.max(...counts)), 10, 1_000);

  const runs = new Map<string, Measurement[]>();
  for (let index = 0; index < rounds; index += 1) {
    for (const mode of scopeModes) {
      for (const n of counts) {
        // Each measurement on a new gateway process, warmed up by one subscriber: its memory before the subscribers
        // is then the same for every N and round, not what an earlier measurement left in its heap.
        await services.stop('gateway');
        services.start('gateway');
        await waitReady(ports.gateway);
        await measure(mode, 1, 5, 1_000);
        const run = await measure(mode, n, eventsPerRun);
        console.log(
          `round ${index + 1}/${rounds} ${mode} N=${n}: response→receipt p50 ${run.fromResponseMs.p50} p99 ${run.fromResponseMs.p99} max ${run.fromResponseMs.max} ms, ` +
            `missing ${run.missing}, duplicates ${run.duplicates}, ${run.rssPerSubscriptionKiB} KiB RSS per subscription, load average ${run.loadAverage}` +
            (run.failedSubscriptions ? `; ${run.failedSubscriptions} subscriptions ended: ${JSON.stringify(run.failureReasons)}` : '') +
            (run.oldestTransaction.seconds > 1 ? `; a transaction held the feeds back ${run.oldestTransaction.seconds} s (${run.oldestTransaction.database})` : ''),
        );
        const key = `${mode} ${n}`;
        runs.set(key, [...(runs.get(key) ?? []), run]);
      }
    }
  }

  const medians = [...runs.values()].map(medianOf);
  console.log(`\n${rounds} round(s) of ${eventsPerRun} events, medians over the rounds (missing/duplicates/out of scope: totals), ms:`);
  console.table(
    medians.map((result) => ({
      scopes: result.mode,
      subscribers: result.subscribers,
      'resp→recv min': result.fromResponseMs.min,
      'resp→recv p50': result.fromResponseMs.p50,
      'resp p90': result.fromResponseMs.p90,
      'resp p99': result.fromResponseMs.p99,
      'resp max': result.fromResponseMs.max,
      'send→recv p50': result.fromSendMs.p50,
      'send p90': result.fromSendMs.p90,
      'send p99': result.fromSendMs.p99,
      'send max': result.fromSendMs.max,
      missing: result.missing,
      duplicates: result.duplicates,
      'out of scope': result.outOfScope,
    })),
  );
  console.log('pipeline vs fan-out (ms), gateway memory and CPU per event:');
  console.table(
    medians.map((result) => ({
      scopes: result.mode,
      subscribers: result.subscribers,
      'resp→first p50': result.firstFromResponseMs.p50,
      'resp→first p99': result.firstFromResponseMs.p99,
      'spread p50': result.spreadMs.p50,
      'spread p99': result.spreadMs.p99,
      ...(result.hospitalDirectFromResponseMs
        ? { 'resp→hospital-direct p50': result.hospitalDirectFromResponseMs.p50, 'direct p99': result.hospitalDirectFromResponseMs.p99 }
        : {}),
      'connect s': result.connectSeconds,
      'RSS before MiB': result.gatewayRssBeforeMiB,
      'RSS after MiB': result.gatewayRssAfterMiB,
      'KiB/subscription': result.rssPerSubscriptionKiB,
      'gw→hospital conns': result.gatewayToHospitalConnectionsIdle,
      'CPU ms/event gw': result.cpuMsPerEvent.gateway,
      hospital: result.cpuMsPerEvent.hospital,
      ems: result.cpuMsPerEvent.ems,
      center: result.cpuMsPerEvent.center,
      bench: result.cpuMsPerEvent.bench,
    })),
  );
  const results = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, database: 'postgresql' },
    settings: { counts, eventsPerRun, rounds, scopeModes, pauseMs, idleMs, connectBatch, eventTimeoutMs, direct, selection },
    medians,
    runs: Object.fromEntries(runs),
  };
  mkdirSync(`${root}/bench/results`, { recursive: true });
  writeFileSync(`${root}/bench/results/subscriptions.json`, `${JSON.stringify(results, null, 2)}\n`);
  const failures = medians.reduce((sum, result) => sum + result.missing + result.duplicates + result.outOfScope + result.errors + result.failedSubscriptions, 0);
  if (failures > 0) {
    console.error(`${failures} missing, duplicate, out-of-scope or failed deliveries: see bench/results/subscriptions.json`);
    process.exitCode = 1;
  }
}

let shuttingDown: Promise<void> | undefined;
function shutdown(): Promise<void> {
  shuttingDown ??= (async () => {
    await Promise.allSettled([...open].map((connection) => connection.dispose()));
    await services.stopAll();
    await server?.end().catch(() => {});
    await Promise.allSettled(created.map((database) => database.drop()));
  })();
  return shuttingDown;
}

// Ctrl-C or a kill: stop the services and drop the databases before leaving.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`${signal}: stopping the services and dropping the databases`);
    void shutdown().finally(() => process.exit(130));
  });
}

main()
  .then(shutdown, async (error) => {
    console.error(error);
    await shutdown();
    process.exitCode = 1;
  })
  .finally(() => process.exit());
