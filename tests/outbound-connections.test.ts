import { rmSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { demo } from '@medport/domain';
import {
  bearer,
  createTestDatabase,
  hostAndPort,
  openLiveConnection,
  postGraphQL,
  readOutboundAttempts,
  recordOutboundTo,
  type OutboundAttempt,
  type TestDatabase,
} from '@medport/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { launchQuickStart, type QuickStart } from './support/quick-start.js';
import { requestTrip } from './support/trips.js';

const log = path.join(tmpdir(), `medport-outbound-${process.pid}-${Date.now()}.log`);
const databases: TestDatabase[] = [];
let quickStart: QuickStart | undefined;

afterAll(async () => {
  if (quickStart) {
    quickStart.signalGroup('SIGKILL');
    await quickStart.exited;
  }
  await Promise.all(databases.map((database) => database.drop()));
  rmSync(log, { force: true });
});

/** Names that mean this machine: where every MedPort service of this test listens. */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1']);

describe('nothing leaves the machine', () => {
  it('the processes `start` runs connect to and look up only the services they were configured with, whatever the environment says about vendor reporting', async () => {
    for (const silo of ['hospital', 'ems', 'center'] as const) databases.push(await createTestDatabase(silo));
    const databaseEnv = Object.assign({}, ...databases.map((database) => database.env));
    const postgres = databases[0]!.url ? new URL(databases[0]!.url) : null;

    quickStart = await launchQuickStart({
      env: recordOutboundTo(log, {
        ...process.env,
        ...databaseEnv,
        SEED_DEMO_DATA: 'true',
        LOG_LEVEL: 'warn',
        // What would turn on Apollo's reporting, were it left to the environment.
        APOLLO_KEY: 'service:medport-outbound-test:not-a-real-key',
        APOLLO_GRAPH_REF: 'medport-outbound-test@current',
        APOLLO_TELEMETRY_DISABLED: 'false',
      }),
    });
    const { ports, gatewayUrl } = quickStart;
    await quickStart.waitForLine(/MedPort is up/);

    // A coordinator's queries across the silos, a live subscription, and a mutation that it receives.
    const login = await postGraphQL<any>(gatewayUrl, `mutation { login(email: "coordinator@hospital-1.demo", password: "${demo.DEMO_PASSWORD}") { accessToken } }`);
    const token = login.data.login.accessToken as string;
    const board = await postGraphQL<any>(
      gatewayUrl,
      `{ transportRequests(first: 20) { nodes { id status origin { name } hospital { name } assignedAgency { name } assignedUnit { unitNumber } } } }`,
      {},
      bearer(token),
    );
    expect(board.errors).toBeUndefined();
    expect(board.data.transportRequests.nodes.length).toBeGreaterThan(0);
    const live = openLiveConnection(gatewayUrl, token);
    const changes = live.subscribe(`subscription { tripStatusChanged { status transportRequest { id hospital { name } } } }`);
    let tripId: string | undefined;
    // The subscription listens once the gateway has opened it upstream; a trip requested before would pass unseen.
    await expect
      .poll(
        async () => {
          tripId = await requestTrip(gatewayUrl, bearer(token));
          await changes.take(1, 3_000).catch(() => undefined);
          return changes.results.length;
        },
        { timeout: 30_000, interval: 100 },
      )
      .toBeGreaterThan(0);
    expect(changes.results[0]!.errors).toBeUndefined();
    expect(tripId).toBeDefined();
    await live.dispose();

    // Stopping flushes whatever a reporter had queued: it counts as well.
    quickStart.signalGroup('SIGINT');
    await quickStart.exited;
    quickStart = undefined;

    const configuredPorts = new Set(Object.values(ports));
    const allowed = (attempt: OutboundAttempt): boolean => {
      if (attempt.kind === 'connect') {
        // A local socket (tsx's own channel between a process and its loader) leaves no machine.
        if (attempt.target.startsWith('unix:')) return attempt.target.startsWith(`unix:${tmpdir()}`);
        const [host, port] = hostAndPort(attempt.target);
        if (LOOPBACK.has(host) && configuredPorts.has(port)) return true;
        return postgres !== null && host === postgres.hostname && port === Number(postgres.port || 5432);
      }
      if (attempt.kind === 'dns') {
        // Listening on HOST (0.0.0.0) looks the address up too.
        return LOOPBACK.has(attempt.target) || attempt.target === '0.0.0.0' || (postgres !== null && attempt.target === postgres.hostname);
      }
      return false;
    };
    const attempts = readOutboundAttempts(log);
    const byService = (attempt: OutboundAttempt) => path.relative(process.cwd(), attempt.script ?? '?');
    const unexpected = attempts.filter((attempt) => !allowed(attempt)).map((attempt) => `${byService(attempt)} ${attempt.kind} ${attempt.target}`);
    expect([...new Set(unexpected)]).toEqual([]);

    // The recorder saw every process: each service reached the others (or its database), and the gateway the silos.
    const scripts = new Set(attempts.filter((attempt) => attempt.kind === 'connect').map((attempt) => byService(attempt)));
    expect([...scripts].sort()).toEqual(
      ['gateway/src/main.ts', 'scripts/start-all.ts', 'subgraphs/center/src/main.ts', 'subgraphs/ems/src/main.ts', 'subgraphs/hospital/src/main.ts'].sort(),
    );
    const gatewayTargets = attempts.filter((attempt) => byService(attempt) === 'gateway/src/main.ts' && attempt.kind === 'connect').map((attempt) => attempt.target);
    for (const silo of ['hospital', 'ems', 'center'] as const) expect(gatewayTargets).toContain(`localhost:${ports[silo]}`);
  });
});
