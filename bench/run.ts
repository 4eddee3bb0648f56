/**
 * Load benchmark of the gateway: starts the three subgraphs and the gateway as separate processes on spare ports
 * (embedded in-memory databases, or PostgreSQL when the *_DATABASE_URL variables are set), then sends each
 * scenario from BENCH_CONNECTIONS concurrent clients for BENCH_SECONDS per round, BENCH_ROUNDS rounds with the
 * scenarios alternating, and prints medians over the rounds. Bounded in time; talks only to 127.0.0.1.
 *
 *   npx -y pnpm@10 bench                     BENCH_SECONDS=10 BENCH_ROUNDS=3 BENCH_CONNECTIONS=50 by default
 */
import { portsFrom, serviceEnvironment, ServiceProcesses } from './services.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const basePort = Number(process.env.BENCH_BASE_PORT ?? 4600);

const ports = portsFrom(basePort);
const gatewayUrl = `http://127.0.0.1:${ports.gateway}/graphql`;

const scenarios: { name: string; query: string; variables?: Record<string, unknown> }[] = [
  {
    name: 'trips across 3 silos (50 trips)',
    query: `{ transportRequests(first: 50) { nodes { id status origin { name } hospital { name } assignedAgency { name } assignedUnit { unitNumber } } } }`,
  },
  {
    name: 'one trip with history and responses',
    query: `query($filter: TransportRequestFilter) { transportRequests(first: 1, filter: $filter) { nodes { id history { status occurredAt } responses { agency { name } status } } } }`,
    variables: { filter: { status: ['TRANSPORTING'] } },
  },
  { name: 'agencies with units (ems only)', query: `{ agencies(first: 5) { nodes { name units(first: 5) { nodes { unitNumber status } } } } }` },
];

let authorization = '';

/** Signs in once as the center admin, who may read every scenario's data. */
async function signIn() {
  const response = await fetch(gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }',
      variables: { email: 'admin@center.demo', password: 'medport-demo' },
    }),
  });
  const result = (await response.json()) as { data?: { login?: { accessToken: string } } };
  if (!result.data?.login) throw new Error(`sign-in failed: ${JSON.stringify(result)}`);
  authorization = `Bearer ${result.data.login.accessToken}`;
}

async function round(scenario: (typeof scenarios)[number]) {
  const body = JSON.stringify({ query: scenario.query, variables: scenario.variables ?? {} });
  const latencies: number[] = [];
  let failures = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < end) {
        const started = performance.now();
        const response = await fetch(gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
        const result = (await response.json()) as { errors?: unknown[] };
        if (!response.ok || result.errors) failures++;
        latencies.push(performance.now() - started);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (share: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * share))]!;
  return { requestsPerSecond: latencies.length / seconds, p50: at(0.5), p99: at(0.99), failures };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

// In-memory embedded databases unless the *_DATABASE_URL variables point at PostgreSQL. The benchmark asks wide
// questions on purpose; limits are not what it measures.
const environment = serviceEnvironment(ports, { MEDPORT_DATA_DIR: 'memory', MAX_COST: '1000000' });
const services = new ServiceProcesses(() => environment);
try {
  await services.startAll(ports);
  await signIn();
  for (const scenario of scenarios) await round({ ...scenario }); // warm-up: JIT, pools, plans
  const results = new Map(scenarios.map((scenario) => [scenario.name, [] as Awaited<ReturnType<typeof round>>[]]));
  for (let index = 0; index < rounds; index++) {
    for (const scenario of scenarios) results.get(scenario.name)!.push(await round(scenario));
  }
  console.log(`\n${connections} connections, ${rounds} rounds of ${seconds}s, medians (node ${process.version}):`);
  console.table(
    [...results].map(([name, runs]) => ({
      scenario: name,
      'req/s': Math.round(median(runs.map((run) => run.requestsPerSecond))),
      'p50 ms': Number(median(runs.map((run) => run.p50)).toFixed(1)),
      'p99 ms': Number(median(runs.map((run) => run.p99)).toFixed(1)),
      failures: runs.reduce((sum, run) => sum + run.failures, 0),
    })),
  );
} finally {
  await services.stopAll();
}
