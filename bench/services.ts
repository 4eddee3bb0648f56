/** What the benchmarks share: where each service listens and how it is started as its own process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { attemptsBeyondThisMachine, readOutboundAttempts, recordOutboundTo } from '@medport/testing';

export const root = fileURLToPath(new URL('..', import.meta.url));

export type Service = 'hospital' | 'ems' | 'center' | 'gateway';

export const SERVICE_ENTRY: Record<Service, string> = {
  hospital: 'subgraphs/hospital/src/main.ts',
  ems: 'subgraphs/ems/src/main.ts',
  center: 'subgraphs/center/src/main.ts',
  gateway: 'gateway/src/main.ts',
};

export type Ports = Record<Service, number>;

export const portsFrom = (base: number): Ports => ({ gateway: base, hospital: base + 1, ems: base + 2, center: base + 3 });

/** Where every process a benchmark starts records its outbound connections (see `benchmarkProcessEnvironment`). */
const outboundLog = join(tmpdir(), `medport-bench-outbound-${process.pid}.log`);

/** Variables that would switch on a vendor's reporting in a peer (Apollo's, Hive's, OpenTelemetry exporters). */
const VENDOR_VARIABLE = /^(APOLLO_|HIVE_|OTEL_|OPENTELEMETRY)/;

/**
 * The environment of any process a benchmark starts, MedPort's services and the peers alike: no variable that
 * would make one report to its vendor, and every outbound attempt recorded, so the run can show it stayed local.
 */
export function benchmarkProcessEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(env).filter(([key]) => !VENDOR_VARIABLE.test(key)));
  return recordOutboundTo(outboundLog, { ...clean, APOLLO_TELEMETRY_DISABLED: 'true' });
}

/**
 * Says whether the processes of this run connected to or looked up anything beyond this machine, and fails the run
 * (exit code 1) if they did: a benchmark that phones home measures that traffic too, and this network flags it.
 */
export function reportOutboundConnections(): void {
  const beyond = attemptsBeyondThisMachine(readOutboundAttempts(outboundLog));
  rmSync(outboundLog, { force: true });
  if (beyond.length === 0) {
    console.log('Outbound connections: none beyond this machine.');
    return;
  }
  console.error(`Outbound connections beyond this machine:\n${[...new Set(beyond.map((attempt) => `  ${attempt.script} ${attempt.kind} ${attempt.target}`))].join('\n')}`);
  process.exitCode = 1;
}

/** Production settings on 127.0.0.1, every service told where the others are. */
export function serviceEnvironment(ports: Ports, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...benchmarkProcessEnvironment(process.env),
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    SEED_DEMO_DATA: 'true',
    EVENTS_SECRET: 'benchmark-events-secret',
    GATEWAY_PORT: String(ports.gateway),
    HOSPITAL_PORT: String(ports.hospital),
    EMS_PORT: String(ports.ems),
    CENTER_PORT: String(ports.center),
    HOSPITAL_URL: `http://127.0.0.1:${ports.hospital}/graphql`,
    EMS_URL: `http://127.0.0.1:${ports.ems}/graphql`,
    CENTER_URL: `http://127.0.0.1:${ports.center}/graphql`,
    AUTH_JWKS_URL: `http://127.0.0.1:${ports.center}/.well-known/jwks.json`,
    ...extra,
  };
}

export interface ServiceProcessOptions {
  /** Extra Node options for a service (`--cpu-prof` is refused in NODE_OPTIONS, so it goes on the command line). */
  nodeArgs?: (service: Service) => string[];
  /** Appends each service's stdout to `<directory>/<service>.log` instead of dropping it. */
  logDirectory?: string;
}

/**
 * The benchmark's services, each its own process (errors go to this one's stderr). A service that exits by itself
 * is reported, one stopped here is not.
 */
export class ServiceProcesses {
  private readonly running = new Map<Service, ChildProcess>();
  private stopping = false;

  constructor(
    private readonly environment: () => NodeJS.ProcessEnv,
    private readonly options: ServiceProcessOptions = {},
  ) {}

  start(service: Service): ChildProcess {
    let stdout: 'ignore' | number = 'ignore';
    if (this.options.logDirectory) {
      mkdirSync(this.options.logDirectory, { recursive: true });
      stdout = openSync(`${this.options.logDirectory}/${service}.log`, 'a');
    }
    const args = [...(this.options.nodeArgs?.(service) ?? []), '--import', 'tsx', SERVICE_ENTRY[service]];
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', stdout, 'inherit'], env: this.environment() });
    if (typeof stdout === 'number') closeSync(stdout); // the child has its own copy
    child.on('exit', (code) => {
      if (!this.stopping && this.running.get(service) === child) console.error(`${service} exited early (${code})`);
    });
    this.running.set(service, child);
    return child;
  }

  /** The center first (the others fetch its signing keys), then the rest; resolves when all are ready. */
  async startAll(ports: Ports): Promise<void> {
    this.start('center');
    await waitReady(ports.center);
    for (const service of ['hospital', 'ems', 'gateway'] as const) this.start(service);
    await Promise.all([waitReady(ports.hospital), waitReady(ports.ems), waitReady(ports.gateway)]);
  }

  pid(service: Service): number {
    return this.running.get(service)!.pid!;
  }

  /** Stops one service with SIGTERM and waits until it has exited. */
  async stop(service: Service): Promise<void> {
    const child = this.running.get(service);
    this.running.delete(service);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  /** Stops every service, then reports whether any process of the run reached beyond this machine. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.running.keys()].map((service) => this.stop(service)));
    reportOutboundConnections();
  }
}

export async function waitReady(port: number) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (await fetch(`http://127.0.0.1:${port}/ready`).then((response) => response.ok, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`service on port ${port} did not become ready`);
}
