/**
 * Starts the whole supergraph on one machine: the three subgraphs and the gateway, each in its own process
 * (as in production, so one crashing leaves the others up). With no database URLs set, every silo runs on its
 * own embedded PGlite database under MEDPORT_DATA_DIR (default .data/), migrated and seeded on first start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const services = [
  { name: 'hospital', entry: 'subgraphs/hospital/src/main.ts', port: process.env.HOSPITAL_PORT ?? '4001' },
  { name: 'ems', entry: 'subgraphs/ems/src/main.ts', port: process.env.EMS_PORT ?? '4002' },
  { name: 'center', entry: 'subgraphs/center/src/main.ts', port: process.env.CENTER_PORT ?? '4003' },
  { name: 'gateway', entry: 'gateway/src/main.ts', port: process.env.GATEWAY_PORT ?? '4000' },
];

// Each silo reads the others' event feeds, and the gateway their GraphQL: both at the ports chosen above.
const siloUrl = (name: string) => `http://localhost:${services.find((service) => service.name === name)!.port}/graphql`;
const addresses = {
  HOSPITAL_URL: process.env.HOSPITAL_URL ?? siloUrl('hospital'),
  EMS_URL: process.env.EMS_URL ?? siloUrl('ems'),
  CENTER_URL: process.env.CENTER_URL ?? siloUrl('center'),
  // The center signs access tokens; the others verify them with the keys it publishes, on whatever port it has.
  AUTH_JWKS_URL: process.env.AUTH_JWKS_URL ?? siloUrl('center').replace('/graphql', '/.well-known/jwks.json'),
};

const children = new Map<string, ChildProcess>();
let stopping = false;

for (const service of services) {
  const child = spawn(process.execPath, ['--import', 'tsx', service.entry], {
    cwd: root,
    env: { ...process.env, ...addresses, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.set(service.name, child);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream! }).on('line', (line) => console.log(`[${service.name.padEnd(8)}] ${line}`));
  }
  child.on('exit', (code, signal) => {
    children.delete(service.name);
    if (!stopping) console.error(`[${service.name.padEnd(8)}] exited (${signal ?? code}); the other services keep running.`);
    if (children.size === 0) process.exit(stopping ? 0 : 1);
  });
}

async function waitUntilReady() {
  const deadline = Date.now() + 120_000;
  for (const service of services) {
    while (Date.now() < deadline) {
      const ok = await fetch(`http://localhost:${service.port}/ready`).then((response) => response.ok, () => false);
      if (ok) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  const gatewayPort = services.at(-1)!.port;
  console.log(`
MedPort is up.
  GraphQL + GraphiQL  http://localhost:${gatewayPort}/graphql
  Subgraphs           ${services.slice(0, 3).map((service) => `${service.name} :${service.port}`).join(', ')}
Press Ctrl+C to stop.
`);
}
void waitUntilReady();

function stopAll() {
  if (stopping) return;
  stopping = true;
  for (const child of children.values()) child.kill('SIGTERM');
}
process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);
