/**
 * Starts the whole supergraph on one machine: the three subgraphs and the gateway, each in its own process
 * (as in production, so one crashing leaves the others up). With no database URLs set, every silo runs on its
 * own embedded PGlite database under MEDPORT_DATA_DIR (default .data/), created, migrated and seeded whole on first
 * start. It says MedPort is up only once every service answers `/ready` and the gateway reaches every subgraph; a
 * service that stops or is not ready in time is named with its last error, and the start fails (exit code 1).
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
] as const;
type ServiceName = (typeof services)[number]['name'];

/** A first start on the embedded databases takes ~20 s here; slow disks and busy machines get far more. */
const startTimeoutSeconds = Number(process.env.START_TIMEOUT_SECONDS ?? 180);
/** Services get this long to stop after Ctrl+C before they are killed. */
const STOP_GRACE_MS = 15_000;
/** Lines of each service's output kept to tell what it said last. */
const KEPT_LINES = 50;

// Each silo reads the others' event feeds, and the gateway their GraphQL: both at the ports chosen above.
const siloUrl = (name: ServiceName) => `http://localhost:${services.find((service) => service.name === name)!.port}/graphql`;
const addresses = {
  HOSPITAL_URL: process.env.HOSPITAL_URL ?? siloUrl('hospital'),
  EMS_URL: process.env.EMS_URL ?? siloUrl('ems'),
  CENTER_URL: process.env.CENTER_URL ?? siloUrl('center'),
  // The center signs access tokens; the others verify them with the keys it publishes, on whatever port it has.
  AUTH_JWKS_URL: process.env.AUTH_JWKS_URL ?? siloUrl('center').replace('/graphql', '/.well-known/jwks.json'),
};

const label = (name: string) => `[${name.padEnd(8)}]`;
const children = new Map<ServiceName, ChildProcess>();
const recentLines = new Map<ServiceName, string[]>();
let up = false;
let stopping = false;

for (const service of services) {
  const child = spawn(process.execPath, ['--import', 'tsx', service.entry], {
    cwd: root,
    env: { ...process.env, ...addresses, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.set(service.name, child);
  recentLines.set(service.name, []);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream! }).on('line', (line) => {
      const kept = recentLines.get(service.name)!;
      kept.push(line);
      if (kept.length > KEPT_LINES) kept.shift();
      console.log(`${label(service.name)} ${line}`);
    });
  }
  child.on('exit', (code, signal) => {
    children.delete(service.name);
    if (stopping) return;
    const how = signal ? `was stopped by ${signal}` : `exited with code ${code}`;
    if (!up) return void fail(`${service.name} ${how} before it was ready.`, service.name);
    report(`${service.name} ${how}; the other services keep running.`, service.name);
    if (children.size === 0) process.exit(1);
  });
}

/** What a service said last that explains a failure: its last error, else its last line. */
function lastWords(name: ServiceName): string | undefined {
  const lines = recentLines.get(name) ?? [];
  let fallback: string | undefined;
  for (let index = lines.length - 1; index >= 0; index--) {
    const line = lines[index]!.trim();
    if (!line) continue;
    let entry: { level?: number; msg?: string; err?: { message?: string }; error?: string } | null = null;
    try {
      entry = JSON.parse(line);
    } catch {
      // Not a log line: a configuration error, a start-up failure's message, or a stack trace.
      if (/^at\s|^Node\.js v/.test(line)) continue;
      return line;
    }
    if (typeof entry?.level !== 'number') continue;
    const text = [entry.msg, entry.err?.message ?? entry.error].filter(Boolean).join(': ');
    if (entry.level >= 50) return text;
    fallback ??= text;
  }
  return fallback;
}

function report(message: string, name: ServiceName) {
  const words = lastWords(name);
  console.error(`\n${label(name)} ${message}${words ? `\n${label(name)} Its last error: ${words}` : ''}\n`);
}

async function fail(message: string, name: ServiceName): Promise<never> {
  if (stopping) return new Promise<never>(() => {});
  report(`${message} MedPort did not start.`, name);
  await stopAll();
  process.exit(1);
}

async function readiness(port: string): Promise<{ ok: boolean; body: { subgraphs?: Record<string, string> } }> {
  try {
    const response = await fetch(`http://localhost:${port}/ready`, { signal: AbortSignal.timeout(5_000) });
    return { ok: response.ok, body: (await response.json()) as { subgraphs?: Record<string, string> } };
  } catch {
    return { ok: false, body: {} };
  }
}

async function waitUntilUp() {
  const deadline = Date.now() + startTimeoutSeconds * 1000;
  const waiting = new Set<ServiceName>(services.map((service) => service.name));
  while (waiting.size > 0) {
    for (const service of services) {
      if (!waiting.has(service.name)) continue;
      const { ok, body } = await readiness(service.port);
      // The gateway also says whether it reaches each subgraph at the address it was given.
      const reachesAll = service.name !== 'gateway' || Object.values(body.subgraphs ?? {}).every((state) => state === 'ready');
      if (ok && reachesAll) waiting.delete(service.name);
    }
    if (stopping) return;
    if (waiting.size === 0) break;
    if (Date.now() > deadline) {
      const late = [...waiting][0]!;
      return fail(`${[...waiting].join(', ')} did not answer /ready within ${startTimeoutSeconds} s (START_TIMEOUT_SECONDS).`, late);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  up = true;
  const gatewayPort = services.find((service) => service.name === 'gateway')!.port;
  console.log(`
MedPort is up.
  GraphQL + GraphiQL  http://localhost:${gatewayPort}/graphql
  Subgraphs           ${services.filter((service) => service.name !== 'gateway').map((service) => `${service.name} :${service.port}`).join(', ')}
Press Ctrl+C to stop.
`);
}
void waitUntilUp();

/** Asks every service to stop (they finish what is in flight) and waits for them, killing any that hangs. */
async function stopAll() {
  if (stopping) return;
  stopping = true;
  const exits = [...children.values()].map(
    (child) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS).unref();
      }),
  );
  await Promise.all(exits);
}

// Ctrl+C reaches every process of the terminal's group at once; the services stop by themselves and this one waits
// for them, then ends normally, so a stop the user asked for is not reported as a failure.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    console.log('\nStopping MedPort…');
    void stopAll().then(() => process.exit(0));
  });
}
