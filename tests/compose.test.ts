import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// The stack cannot be started here (no container engine in the test run), so these tests hold compose.yaml, the
// Dockerfile and .dockerignore to what they promise by reading them the way Docker's own tools do: Debian's
// docker-compose resolves compose.yaml (interpolation, anchors, merges), and the Python libraries it depends on
// (python3-yaml, python3-docker) parse its output and apply .dockerignore.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const COMPOSE_FILE = path.join(ROOT, 'compose.yaml');
const SILOS = ['hospital', 'ems', 'center'] as const;
const MEDPORT_SERVICES = [...SILOS, 'gateway'] as const;
const SERVICE_PORTS = { hospital: 4001, ems: 4002, center: 4003, gateway: 4000 } as const;
const INSTALL_HINT = "Install Debian's docker-compose package (`apt-get install docker-compose`; CI installs it)";

interface ComposeService {
  image?: string;
  build?: { context: string; args?: Record<string, string> };
  pull_policy?: string;
  command?: string[] | string;
  environment?: Record<string, string>;
  ports?: Array<{ published: number | string; target: number | string } | string>;
  volumes?: Array<string | { source?: string }>;
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] | string };
}

interface ComposeConfig {
  services: Record<string, ComposeService>;
}

function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}) {
  const result: SpawnSyncReturns<string> = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(`\`${command}\` was not found. ${INSTALL_HINT}.`);
  }
  if (result.error) throw result.error;
  return result;
}

// Only what docker-compose needs to run: no EVENTS_SECRET, COMPOSE_* or DOCKER_* leaks in from the caller's shell.
function bareEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', ...extra };
}

const scratch = mkdtempSync(path.join(tmpdir(), 'medport-compose-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * `docker-compose config` on the real compose.yaml. An env file is always given, so a developer's own .env next to
 * compose.yaml never takes part.
 */
function composeConfig(options: { env?: Record<string, string>; envFile?: string } = {}) {
  const envFile = path.join(scratch, `env-${Math.random().toString(36).slice(2)}`);
  writeFileSync(envFile, options.envFile ?? '');
  return run('docker-compose', ['--env-file', envFile, '-f', COMPOSE_FILE, 'config'], { env: bareEnvironment(options.env), cwd: scratch });
}

const PYTHON_HELPERS = `
import json, sys
if sys.argv[1] == 'yaml':
    import yaml
    json.dump(yaml.safe_load(sys.stdin), sys.stdout)
else:
    from docker.utils.build import exclude_paths
    root = sys.argv[2]
    with open(root + '/.dockerignore') as f:
        patterns = [line.strip() for line in f if line.strip() and not line.startswith('#')]
    json.dump(sorted(exclude_paths(root, patterns)), sys.stdout)
`;

function python(args: string[], input?: string): string {
  const result = run('python3', ['-c', PYTHON_HELPERS, ...args], { input });
  if (result.status !== 0) throw new Error(`${INSTALL_HINT}; it brings python3-yaml and python3-docker, used here.\n${result.stderr}`);
  return result.stdout;
}

function parsedConfig(options: Parameters<typeof composeConfig>[0] = {}): ComposeConfig {
  const result = composeConfig(options);
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(python(['yaml'], result.stdout)) as ComposeConfig;
}

const words = (value: string[] | string | undefined) => (Array.isArray(value) ? value : [value ?? '']).flatMap((part) => part.split(/\s+/));

const publishedPorts = (service: ComposeService) =>
  (service.ports ?? []).map((port) =>
    typeof port === 'string' ? { published: Number(port.split(':').at(-2)), target: Number(port.split(':').at(-1)) } : { published: Number(port.published), target: Number(port.target) },
  );

// The stack as it runs with a secret given, so that each test below fails for its own finding only.
const SAMPLE_SECRET = 'sample-events-secret-0123456789';
let resolved: ComposeConfig | undefined;
const stackConfig = () => (resolved ??= parsedConfig({ env: { EVENTS_SECRET: SAMPLE_SECRET } }));

describe('compose.yaml, as docker-compose resolves it', () => {
  it('validates with no EVENTS_SECRET in the environment and no .env file, so ps, logs and down always work', () => {
    const result = composeConfig();
    expect(result.status, result.stderr).toBe(0);
    const config = JSON.parse(python(['yaml'], result.stdout)) as ComposeConfig;
    // Left empty, the silos themselves refuse to start in production and say why (see the last test).
    for (const silo of SILOS) expect(config.services[silo]?.environment?.EVENTS_SECRET, silo).toBe('');
  });

  it('passes one EVENTS_SECRET, from the shell or from an env file, unchanged to all three silos', () => {
    const fromShell = parsedConfig({ env: { EVENTS_SECRET: 'secret-from-the-shell-0123456789' } });
    const fromFile = parsedConfig({ envFile: 'EVENTS_SECRET=secret-from-the-env-file-0123456789\n' });
    for (const silo of SILOS) {
      expect(fromShell.services[silo]?.environment?.EVENTS_SECRET, silo).toBe('secret-from-the-shell-0123456789');
      expect(fromFile.services[silo]?.environment?.EVENTS_SECRET, silo).toBe('secret-from-the-env-file-0123456789');
    }
  });

  it('builds one image, with no build arguments, that all four MedPort services run and none pulls from a registry', () => {
    const config = stackConfig();
    const images = new Set(MEDPORT_SERVICES.map((name) => config.services[name]?.image));
    expect([...images]).toHaveLength(1);
    const [image] = images;
    expect(image).toBeTruthy();
    const builders = Object.entries(config.services).filter(([, service]) => service.build);
    expect(builders.map(([name]) => name)).toHaveLength(1);
    const [builder, { build }] = builders[0]!;
    expect(MEDPORT_SERVICES).toContain(builder);
    expect(build?.args ?? {}).toEqual({});
    expect(path.resolve(build!.context)).toBe(path.resolve(ROOT));
    for (const name of MEDPORT_SERVICES) expect(config.services[name]?.pull_policy, name).toBe('never');
  });

  it('starts each MedPort service from its own entry module in the shared image', () => {
    const config = stackConfig();
    const entries = { hospital: 'subgraphs/hospital/src/main.ts', ems: 'subgraphs/ems/src/main.ts', center: 'subgraphs/center/src/main.ts', gateway: 'gateway/src/main.ts' };
    for (const name of MEDPORT_SERVICES) {
      expect(words(config.services[name]?.command), name).toContain(entries[name]);
      expect(existsSync(path.join(ROOT, entries[name])), entries[name]).toBe(true);
    }
  });

  it("checks every PostgreSQL server's health over TCP, which the temporary server of the first initialisation does not accept", () => {
    const config = stackConfig();
    const servers = Object.entries(config.services).filter(([, service]) => service.image?.startsWith('postgres'));
    expect(servers.map(([name]) => name).sort()).toEqual(['center-db', 'ems-db', 'hospital-db']);
    for (const [name, service] of servers) {
      const test = words(service.healthcheck?.test);
      expect(test, name).toContain('pg_isready');
      const host = test.includes('-h') ? test[test.indexOf('-h') + 1] : test.find((word) => word.startsWith('--host='))?.slice('--host='.length);
      expect(host, `${name} must name a TCP host (-h), not the Unix socket`).toBeTruthy();
      expect(host!.startsWith('/'), `${name}: ${host} is a socket directory`).toBe(false);
    }
  });

  it('publishes the gateway on port 4000 and no port of any subgraph', () => {
    const config = stackConfig();
    for (const silo of SILOS) expect(publishedPorts(config.services[silo]!), silo).toEqual([]);
    expect(publishedPorts(config.services.gateway!)).toEqual([{ published: 4000, target: 4000 }]);
  });

  it('gives each silo its own PostgreSQL 16 server with its own database, user, password, volume and host port', () => {
    const config = stackConfig();
    const hostPorts = { hospital: 5432, ems: 5433, center: 5434 };
    const passwords = new Set<string>();
    const volumes = new Set<string>();
    for (const silo of SILOS) {
      const server = config.services[`${silo}-db`]!;
      expect(server.image).toBe('postgres:16');
      expect(server.environment).toMatchObject({ POSTGRES_DB: silo, POSTGRES_USER: silo });
      expect(publishedPorts(server)).toEqual([{ published: hostPorts[silo], target: 5432 }]);
      passwords.add(server.environment!.POSTGRES_PASSWORD!);
      for (const volume of server.volumes ?? []) volumes.add(typeof volume === 'string' ? volume.split(':')[0]! : volume.source!);
      const url = new URL(config.services[silo]!.environment![`${silo.toUpperCase()}_DATABASE_URL`]!);
      expect({ host: url.hostname, user: url.username, password: url.password, database: url.pathname.slice(1) }).toEqual({
        host: `${silo}-db`,
        user: silo,
        password: server.environment!.POSTGRES_PASSWORD,
        database: silo,
      });
    }
    expect(passwords.size).toBe(3);
    expect(volumes.size).toBe(3);
  });

  it('starts each subgraph once its database is healthy and the gateway once the three subgraphs are, in production with the demo network seeded', () => {
    const config = stackConfig();
    for (const silo of SILOS) {
      const service = config.services[silo]!;
      expect(service.depends_on, silo).toEqual({ [`${silo}-db`]: { condition: 'service_healthy' } });
      expect(service.environment, silo).toMatchObject({ NODE_ENV: 'production', SEED_DEMO_DATA: 'true' });
    }
    expect(config.services.gateway!.depends_on).toEqual(Object.fromEntries(SILOS.map((silo) => [silo, { condition: 'service_healthy' }])));
    expect(config.services.gateway!.environment).toMatchObject({ NODE_ENV: 'production' });
    for (const name of MEDPORT_SERVICES) {
      expect(words(config.services[name]!.healthcheck?.test).join(' '), name).toContain(`http://localhost:${SERVICE_PORTS[name]}/ready`);
    }
  });
});

/** The files `docker build` would receive, by the rules of the real .dockerignore. */
const buildContextOf = (root: string) => JSON.parse(python(['context', root])) as string[];

const CONTEXT = path.join(scratch, 'context');
let contextFiles: string[] | undefined;
let installation: { packages: string[] } | { error: unknown } | undefined;

/** The packages of a copy of the build context after the Dockerfile's own `pnpm install`, run offline. */
function productionInstall(): string[] {
  installation ??= (() => {
    try {
      return { packages: installInCopyOfContext() };
    } catch (error) {
      return { error };
    }
  })();
  if ('error' in installation) throw installation.error;
  return installation.packages;
}

function installInCopyOfContext(): string[] {
  contextFiles ??= buildContextOf(ROOT);
  for (const file of contextFiles) {
    const source = path.join(ROOT, file);
    const target = path.join(CONTEXT, file);
    const stat = lstatSync(source);
    if (stat.isDirectory()) mkdirSync(target, { recursive: true });
    else {
      mkdirSync(path.dirname(target), { recursive: true });
      if (stat.isSymbolicLink()) symlinkSync(readlinkSync(source), target);
      else copyFileSync(source, target);
    }
  }
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const install = dockerfile.match(/^RUN\s+pnpm\s+(install\b.*)$/m)?.[1];
  if (!install) throw new Error('The Dockerfile has no `RUN pnpm install …` line');
  const args = [...install.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2] ?? match[3]!);
  // The packages come from the store this checkout was installed from; what the image would download is the same.
  if (!args.includes('--offline')) args.push('--offline');
  const result = run('npx', ['--prefer-offline', '-y', 'pnpm@10', ...args], { cwd: CONTEXT });
  if (result.status !== 0) throw new Error(`pnpm ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return readdirSync(path.join(CONTEXT, 'node_modules', '.pnpm'));
}

describe("the image's build context and production install", () => {
  it('sends no node_modules, local data, git history or .env secrets to the build', () => {
    contextFiles ??= buildContextOf(ROOT);
    expect(contextFiles).toContain('pnpm-lock.yaml');
    expect(contextFiles).toContain('gateway/src/main.ts');
    expect(contextFiles).toContain('schema/supergraph.graphql');
    expect(contextFiles.filter((file) => /(^|\/)(node_modules|\.data|\.git)(\/|$)|(^|\/)\.env(\.|$)|^bench\/results\//.test(file))).toEqual([]);

    // Nothing of that kind may exist in this checkout at the moment, so the rules are also tried on a planted tree.
    const planted = path.join(scratch, 'planted');
    for (const file of ['node_modules/x/index.js', 'gateway/node_modules/y/index.js', 'packages/auth/node_modules/z/index.js', '.data/center/pg', '.env', '.env.production', '.git/HEAD', 'bench/results/run.json', 'package.json', 'gateway/src/main.ts']) {
      mkdirSync(path.dirname(path.join(planted, file)), { recursive: true });
      writeFileSync(path.join(planted, file), '');
    }
    copyFileSync(path.join(ROOT, '.dockerignore'), path.join(planted, '.dockerignore'));
    const sent = buildContextOf(planted).filter((file) => lstatSync(path.join(planted, file)).isFile());
    expect(sent.sort()).toEqual(['.dockerignore', 'gateway/src/main.ts', 'package.json']);
  });

  it("leaves the benchmarks' and the tests' dependencies out and keeps the services' own", () => {
    const installed = productionInstall();
    const excluded = ['@graphql-hive+', 'autocannon@', 'vitest@', '@vitest+', 'playwright-core@', 'graphql-http@'];
    expect(installed.filter((name) => excluded.some((prefix) => name.startsWith(prefix)))).toEqual([]);
    for (const needed of ['tsx@', '@apollo+gateway@', '@apollo+subgraph@', 'pg@', 'kysely@']) {
      expect(installed.some((name) => name.startsWith(needed)), needed).toBe(true);
    }
  }, 120_000);

  it('loads every entry module from it; a silo given the stack\'s empty default secret stops with exit code 78 and says so', async () => {
    productionInstall();
    const config = stackConfig();
    const outcomes = await Promise.all(
      MEDPORT_SERVICES.map(
        (name) =>
          new Promise<{ name: string; code: number | null; output: string }>((resolve, reject) => {
            const service = config.services[name]!;
            // The gateway needs no secret; a port that is no port stops it at the same point, after every import.
            const env = bareEnvironment({ ...service.environment, ...(name === 'gateway' ? { GATEWAY_PORT: 'not-a-port' } : { EVENTS_SECRET: '' }) });
            const child = spawn('node', ['--import', 'tsx', ...words(service.command)], { cwd: CONTEXT, env, stdio: ['ignore', 'pipe', 'pipe'] });
            let output = '';
            child.stdout.on('data', (chunk) => (output += chunk));
            child.stderr.on('data', (chunk) => (output += chunk));
            const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
            child.on('error', reject);
            child.on('close', (code) => {
              clearTimeout(timer);
              resolve({ name, code, output });
            });
          }),
      ),
    );
    for (const { name, code, output } of outcomes) {
      expect(output, name).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find (module|package)/);
      expect(code, `${name} exited with ${code}:\n${output}`).toBe(78);
      expect(output, name).toContain(name === 'gateway' ? 'GATEWAY_PORT' : 'EVENTS_SECRET: required in production');
    }
  }, 120_000);
});
