/**
 * Event propagation benchmark: how long a trip takes from the hospital's write to ems's offer, idle and under a
 * steady load of new trips, and how long ems takes to catch up on a backlog after an outage.
 *
 * Starts the three subgraphs and the gateway as separate processes on fresh PostgreSQL databases (the latencies
 * are read from the silos' own tables, which the embedded databases do not share with another process), then:
 *   1. idle: EVENTS_IDLE_TRIPS trips created one after the other;
 *   2. load: each of EVENTS_LOAD_RATES trips per second for EVENTS_LOAD_SECONDS seconds (open loop, as hospitals
 *      send them, whether or not the earlier ones were answered);
 *   3. backlog: ems stopped, EVENTS_BACKLOG trips created, ems started again; time until it applied them all.
 * Latency of one trip = ems's consumed_events.consumed_at − the hospital outbox row's occurred_at (both the start of
 * their transactions, on the same PostgreSQL server and clock).
 *
 *   npx -y pnpm@10 bench:events           EVENTS_IDLE_TRIPS=200 EVENTS_LOAD_RATES=50,100 EVENTS_LOAD_SECONDS=20 EVENTS_BACKLOG=10000
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { demo } from '@medport/domain';
import { createTestDatabase, type TestDatabase } from '@medport/testing';
import pg from 'pg';
import { portsFrom, root, serviceEnvironment, ServiceProcesses, waitReady } from './services.js';

const idleTrips = Number(process.env.EVENTS_IDLE_TRIPS ?? 200);
const loadRates = (process.env.EVENTS_LOAD_RATES ?? '50,100').split(',').map(Number);
const loadSeconds = Number(process.env.EVENTS_LOAD_SECONDS ?? 20);
const backlog = Number(process.env.EVENTS_BACKLOG ?? 10_000);
const basePort = Number(process.env.BENCH_BASE_PORT ?? 4700);
const ports = portsFrom(basePort);
const gatewayUrl = `http://127.0.0.1:${ports.gateway}/graphql`;
const network = demo.buildDemoNetwork();
const [origin, destination] = network.facilities.filter((facility) => facility.hospitalId === network.hospitals[0]!.id);

let databases: Record<'hospital' | 'ems' | 'center', TestDatabase>;
const services = new ServiceProcesses(() => serviceEnvironment(ports, { ...databases.hospital.env, ...databases.ems.env, ...databases.center.env }));

async function graphql(query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await fetch(gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

let coordinator: Record<string, string> = {};
let sequence = 0;

async function createTrip(): Promise<string> {
  sequence += 1;
  const data = await graphql(
    `mutation($input: CreateTransportRequestInput!) { createTransportRequest(input: $input) { id } }`,
    {
      input: {
        originFacilityId: origin!.id,
        destinationFacilityId: destination!.id,
        patientReference: `BENCH-${sequence}`,
        transportLevel: 'BLS',
        priority: 'ROUTINE',
      },
    },
    coordinator,
  );
  return data.createTransportRequest.id;
}

function client(silo: 'hospital' | 'ems'): pg.Client {
  return new pg.Client({ connectionString: databases[silo].url });
}

/** Milliseconds from each trip's TripRequested event to ems applying it. */
async function latencies(hospital: pg.Client, ems: pg.Client, tripIds: string[]): Promise<number[]> {
  const events = await hospital.query<{ id: string; occurred_at: Date }>(
    `select id, occurred_at from outbox_events where type = 'TripRequested' and aggregate_id = any($1)`,
    [tripIds],
  );
  const applied = await ems.query<{ event_id: string; consumed_at: Date }>(
    `select event_id, consumed_at from consumed_events where consumer = 'ems.from-hospital' and event_id = any($1::uuid[])`,
    [events.rows.map((row) => row.id)],
  );
  const appliedAt = new Map(applied.rows.map((row) => [row.event_id, row.consumed_at.getTime()]));
  return events.rows.map((row) => appliedAt.get(row.id)! - row.occurred_at.getTime());
}

async function waitApplied(ems: pg.Client, tripIds: string[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const result = await ems.query<{ n: number }>(`select count(*)::int as n from trips where id = any($1::uuid[])`, [tripIds]);
    if (result.rows[0]!.n === tripIds.length) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('ems did not apply every trip in time');
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
const summary = (values: number[]) => ({ trips: values.length, p50Ms: percentile(values, 50), p99Ms: percentile(values, 99), maxMs: Math.max(...values) });

async function main() {
  databases = {
    hospital: await createTestDatabase('hospital'),
    ems: await createTestDatabase('ems'),
    center: await createTestDatabase('center'),
  };
  if (databases.hospital.kind !== 'postgres') throw new Error('The events benchmark needs PostgreSQL (TEST_POSTGRES_URL).');
  await services.startAll(ports);
  const login = await graphql(`mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }`, {
    email: 'coordinator@hospital-1.demo',
    password: demo.DEMO_PASSWORD,
  });
  coordinator = { authorization: `Bearer ${login.login.accessToken}` };
  const hospital = client('hospital');
  const ems = client('ems');
  await hospital.connect();
  await ems.connect();

  // Warm-up: first requests compile query plans and open pools.
  const warm = await Promise.all(Array.from({ length: 20 }, () => createTrip()));
  await waitApplied(ems, warm, 30_000);

  console.log(`idle: ${idleTrips} trips, one after the other`);
  const idleIds: string[] = [];
  for (let index = 0; index < idleTrips; index += 1) {
    const id = await createTrip();
    idleIds.push(id);
    await waitApplied(ems, [id], 30_000);
  }
  const idle = summary(await latencies(hospital, ems, idleIds));

  const loads: Record<string, ReturnType<typeof summary> & { achievedRatePerSecond: number }> = {};
  for (const rate of loadRates) {
    console.log(`load: ${rate} trips/s for ${loadSeconds} s`);
    const pending: Promise<string>[] = [];
    const started = Date.now();
    for (let index = 0; index < rate * loadSeconds; index += 1) {
      const wait = started + (index * 1000) / rate - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      pending.push(createTrip());
    }
    const sentFor = (Date.now() - started) / 1000;
    const loaded = await Promise.all(pending);
    await waitApplied(ems, loaded, 300_000);
    loads[`${rate}/s`] = { ...summary(await latencies(hospital, ems, loaded)), achievedRatePerSecond: Math.round(loaded.length / sentFor) };
    // Let the silos drain before the next phase.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  }

  console.log(`backlog: ems stopped, ${backlog} trips created`);
  await services.stop('ems');
  const backlogIds: string[] = [];
  const creating = Date.now();
  for (let start = 0; start < backlog; start += 25) {
    backlogIds.push(...(await Promise.all(Array.from({ length: Math.min(25, backlog - start) }, () => createTrip()))));
  }
  const createdPerSecond = Math.round(backlog / ((Date.now() - creating) / 1000));
  const restarted = Date.now();
  services.start('ems');
  await waitReady(ports.ems);
  const ready = Date.now();
  await waitApplied(ems, backlogIds, 600_000);
  const done = Date.now();
  const catchUp = {
    events: backlog,
    createdPerSecondWhileDown: createdPerSecond,
    fromRestartSeconds: (done - restarted) / 1000,
    fromReadySeconds: (done - ready) / 1000,
    appliedPerSecond: Math.round(backlog / ((done - ready) / 1000)),
  };
  await hospital.end();
  await ems.end();

  const results = {
    machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, database: 'postgresql' },
    idle,
    loads,
    catchUp,
  };
  console.log('\ntrip created → offered in ems');
  console.table({ idle, ...loads });
  console.log('catch-up after an ems outage');
  console.table({ backlog: catchUp });
  mkdirSync(`${root}/bench/results`, { recursive: true });
  writeFileSync(`${root}/bench/results/events.json`, `${JSON.stringify(results, null, 2)}\n`);
}

async function shutdown() {
  await services.stopAll();
  if (databases) await Promise.allSettled(Object.values(databases).map((database) => database.drop()));
}

main()
  .then(shutdown, async (error) => {
    console.error(error);
    await shutdown();
    process.exitCode = 1;
  })
  .finally(() => process.exit());
