/**
 * Analytics at scale: fills fresh PostgreSQL databases with a generated history (ANALYTICS_TRIPS trips over two
 * years, scripts/history.ts), starts the three subgraphs and the gateway as production processes on them, and times
 * KPI queries over the whole range as a center analyst, one at a time: ANALYTICS_REQUESTS requests per scenario
 * per round, ANALYTICS_ROUNDS rounds with the scenarios alternating, after a warm-up. Prints the median over the
 * rounds of each round's p50 and p99, and writes bench/results/analytics.json.
 *
 *   npx -y pnpm@10 bench:analytics        ANALYTICS_TRIPS=1000000 ANALYTICS_ROUNDS=3 ANALYTICS_REQUESTS=40
 *
 * Generating a million trips takes about ten minutes; ANALYTICS_REUSE=1 keeps the databases of the previous run
 * (medport_bench_analytics_*) and skips it. Talks only to 127.0.0.1.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import pg from 'pg';
import { generateHistory, openSilos } from '../scripts/history.js';
import { portsFrom, root, serviceEnvironment, ServiceProcesses } from './services.js';

const trips = Number(process.env.ANALYTICS_TRIPS ?? 1_000_000);
const rounds = Number(process.env.ANALYTICS_ROUNDS ?? 3);
const requests = Number(process.env.ANALYTICS_REQUESTS ?? 40);
const reuse = process.env.ANALYTICS_REUSE === '1';
const server = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
const ports = portsFrom(Number(process.env.BENCH_BASE_PORT ?? 4640));
const SILOS = ['hospital', 'ems', 'center'] as const;
const databaseUrls = Object.fromEntries(SILOS.map((silo) => [`${silo.toUpperCase()}_DATABASE_URL`, `${server}/medport_bench_analytics_${silo}`]));

async function createDatabases() {
  const admin = new pg.Client({ connectionString: `${server}/postgres` });
  await admin.connect();
  try {
    for (const silo of SILOS) {
      await admin.query(`drop database if exists medport_bench_analytics_${silo}`);
      await admin.query(`create database medport_bench_analytics_${silo}`);
    }
  } finally {
    await admin.end();
  }
}

const to = new Date();
const from = new Date(to.getTime() - 2 * 365.25 * 86_400_000);
const range = { from: from.toISOString().slice(0, 10), to: to.toISOString().slice(0, 10) };

if (!reuse) {
  await createDatabases();
  const silos = await openSilos({ ...process.env, ...databaseUrls, LOG_LEVEL: 'warn' });
  const started = Date.now();
  try {
    const result = await generateHistory(silos.databases, {
      trips,
      from,
      to,
      centerFacts: 'fold',
      onProgress: (stored, total) => process.stderr.write(`\rgenerating: ${stored.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} trips · ${((Date.now() - started) / 1000).toFixed(0)} s   `),
      onStep: (step) => process.stderr.write(`\n${step}…`),
    });
    console.log(`\ngenerated ${result.trips.toLocaleString('en-US')} trips, ${result.events.toLocaleString('en-US')} events in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await silos.close();
  }
}

const KPIS = `tripCount acceptanceMinutes { p50 p90 } fillRate expiredCount responsesPerTrip declineRate unitResponseMinutes { p50 p90 }
  acceptToPickupMinutes { p50 p90 } withinSlaRate onTimePickupRate transportMinutes { p50 p90 } completionRate cancellationRate
  cancellationsByReason { reason count } cancellationsByParty { party count } byStatus { status count }`;
const report = (args: string, row = '') => `{ analytics(from: "${range.from}", to: "${range.to}"${args}) { total { ${KPIS} } rows { periodStart ${row} kpis { ${KPIS} } } } }`;

const gatewayUrl = `http://127.0.0.1:${ports.gateway}/graphql`;
const centerUrl = `http://127.0.0.1:${ports.center}/graphql`;

const scenarios: { name: string; url: string | (() => string); query?: string }[] = [
  { name: 'whole range by month, network (gateway)', url: gatewayUrl, query: report('') },
  { name: 'whole range by month, network (center)', url: centerUrl, query: report('') },
  { name: 'whole range by month × hospital (gateway)', url: gatewayUrl, query: report(', groupBy: HOSPITAL', 'hospital { name }') },
  { name: 'whole range by week × agency (center)', url: centerUrl, query: report(', period: WEEK, groupBy: AGENCY', 'agency { id }') },
  { name: 'whole range by day, network (center)', url: centerUrl, query: report(', period: DAY') },
  {
    name: 'agency profile (ems) + performance (center), gateway',
    url: gatewayUrl,
    query: `{ agencies(first: 3) { nodes { name phone performance(from: "${range.from}", to: "${range.to}") { total { ${KPIS} } rows { periodStart kpis { tripCount fillRate } } } } } }`,
  },
  { name: 'CSV export by month × agency (center)', url: () => `http://127.0.0.1:${ports.center}/analytics.csv?from=${range.from}&to=${range.to}&groupBy=AGENCY` },
];

let authorization = '';

async function signIn() {
  const response = await fetch(gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'mutation { login(email: "analyst@center.demo", password: "medport-demo") { accessToken } }' }),
  });
  const result = (await response.json()) as { data?: { login?: { accessToken: string } } };
  if (!result.data?.login) throw new Error(`sign-in failed: ${JSON.stringify(result)}`);
  authorization = `Bearer ${result.data.login.accessToken}`;
}

/** One request; throws on any error, so a figure is never reported for a failing query. */
async function send(scenario: (typeof scenarios)[number]): Promise<number> {
  const started = performance.now();
  if (typeof scenario.url === 'function') {
    const response = await fetch(scenario.url(), { headers: { authorization } });
    const text = await response.text();
    if (!response.ok || text.split('\n').length < 3) throw new Error(`${scenario.name}: ${response.status} ${text.slice(0, 300)}`);
  } else {
    const response = await fetch(scenario.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify({ query: scenario.query }) });
    const result = (await response.json()) as { errors?: unknown[] };
    if (!response.ok || result.errors) throw new Error(`${scenario.name}: ${JSON.stringify(result).slice(0, 500)}`);
  }
  return performance.now() - started;
}

const quantile = (values: number[], share: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))]!;
};
const median = (values: number[]) => quantile(values, 0.5);

const services = new ServiceProcesses(() => serviceEnvironment(ports, { ...databaseUrls, SEED_DEMO_DATA: 'false', MAX_COST: '1000000' }));
try {
  await services.startAll(ports);
  await signIn();
  for (const scenario of scenarios) for (let i = 0; i < 5; i++) await send(scenario); // warm-up: JIT, plans, caches
  const results = new Map(scenarios.map((scenario) => [scenario.name, [] as { p50: number; p99: number }[]]));
  for (let index = 0; index < rounds; index++) {
    for (const scenario of scenarios) {
      const latencies = [];
      for (let i = 0; i < requests; i++) latencies.push(await send(scenario));
      results.get(scenario.name)!.push({ p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) });
    }
  }
  const table = [...results].map(([scenario, runs]) => ({
    scenario,
    'p50 ms': Number(median(runs.map((run) => run.p50)).toFixed(1)),
    'p99 ms': Number(median(runs.map((run) => run.p99)).toFixed(1)),
  }));
  console.log(`\n${trips.toLocaleString('en-US')} trips from ${range.from} to ${range.to}; ${rounds} rounds × ${requests} sequential requests, medians (node ${process.version}):`);
  console.table(table);
  await mkdir(`${root}bench/results`, { recursive: true });
  await writeFile(`${root}bench/results/analytics.json`, JSON.stringify({ trips, range, rounds, requests, node: process.version, at: new Date().toISOString(), results: table }, null, 2));
} finally {
  await services.stopAll();
}
