/** What the benchmarks share: where each service listens and how it is started as its own process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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

/** Production settings on 127.0.0.1, every service told where the others are. */
export function serviceEnvironment(ports: Ports, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
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

/** Starts one service as its own process (its errors go to this one's stderr). */
export function spawnService(service: Service, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', SERVICE_ENTRY[service]], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env });
}

export async function waitReady(port: number) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (await fetch(`http://127.0.0.1:${port}/ready`).then((response) => response.ok, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`service on port ${port} did not become ready`);
}
