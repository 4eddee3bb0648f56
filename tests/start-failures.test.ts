import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launchQuickStart, listening, REPOSITORY_ROOT, type QuickStart } from './support/quick-start.js';
import { freePort } from './support/stack.js';

const folders: string[] = [];
const started: QuickStart[] = [];

afterAll(async () => {
  for (const quickStart of started) {
    quickStart.signalGroup('SIGKILL');
    await quickStart.exited;
  }
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function dataFolder(): string {
  const folder = mkdtempSync(path.join(tmpdir(), 'medport-start-failures-'));
  folders.push(folder);
  return folder;
}

/** One subgraph process on its own, as `start:<silo>` runs it; resolves with its exit code and everything it printed. */
function runSubgraph(silo: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `subgraphs/${silo}/src/main.ts`], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', [`${silo.toUpperCase()}_PORT`]: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

const ENGINE_INTERNALS = /RuntimeError|Aborted\(\)|ExitStatus|wasm|^\s+at /m;

describe('a start that cannot succeed', () => {
  it('names a foreign folder where an embedded database should be, says what to do, and `start` stops everything with that service named', async () => {
    const dataDir = dataFolder();
    mkdirSync(path.join(dataDir, 'hospital'));
    writeFileSync(path.join(dataDir, 'hospital', 'notes.txt'), 'not a database');

    const quickStart = await launchQuickStart({ env: { MEDPORT_DATA_DIR: dataDir } });
    started.push(quickStart);
    const { code } = await quickStart.exited;
    const output = quickStart.output.join('\n');
    expect(code).toBe(1);
    expect(output).toContain('hospital exited with code 1 before it was ready. MedPort did not start.');
    const folder = path.join(dataDir, 'hospital');
    expect(output).toContain(`Its last error: The embedded hospital database in ${folder} cannot be used: it holds files but no database`);
    expect(output).toContain(`rm -rf "${folder}"`);
    expect(output).not.toMatch(ENGINE_INTERNALS);
    expect(output).not.toContain('MedPort is up');
    for (const port of Object.values(quickStart.ports)) expect(await listening(port)).toBe(false);
  }, 180_000);

  it('names a damaged embedded database and what to do, in one message instead of the engine stack trace', async () => {
    const dataDir = dataFolder();
    // What an interrupted copy or a full disk leaves: a data folder that says it is PostgreSQL and holds little else.
    const folder = path.join(dataDir, 'ems');
    mkdirSync(path.join(folder, 'base'), { recursive: true });
    writeFileSync(path.join(folder, 'PG_VERSION'), '17\n');
    writeFileSync(path.join(folder, 'postgresql.conf'), '');

    const { code, output } = await runSubgraph('ems', { MEDPORT_DATA_DIR: dataDir });
    expect(code).toBe(1);
    const message = output.split('\n').filter((line) => line.includes('cannot be used'));
    expect(message).toHaveLength(1);
    expect(message[0]).toMatch(new RegExp(`^The embedded ems database in ${folder.replace(/[/.]/g, '\\$&')} cannot be used: `));
    expect(message[0]).toContain(`mv "${folder}" "${folder}.broken"`);
    expect(output).not.toMatch(ENGINE_INTERNALS);
  }, 120_000);

  it('says which service could not reach its database in time, stops the others and exits non-zero', async () => {
    // A database server that accepts connections and never answers: the hospital gives up on it within seconds.
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    const port = await freePort();
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    try {
      const quickStart = await launchQuickStart({
        env: { MEDPORT_DATA_DIR: 'memory', HOSPITAL_DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/hospital`, START_TIMEOUT_SECONDS: '15' },
      });
      started.push(quickStart);
      const { code } = await quickStart.exited;
      const output = quickStart.output.join('\n');
      expect(code).toBe(1);
      expect(output).toMatch(/\[hospital\] hospital exited with code 1 before it was ready\. MedPort did not start\./);
      expect(output).toMatch(/\[hospital\] Its last error: .*The hospital database cannot be reached/);
      expect(output).not.toContain('MedPort is up');
      for (const servicePort of Object.values(quickStart.ports)) expect(await listening(servicePort)).toBe(false);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 180_000);
});
