import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { EVENTS_SECRET_FILE, EventsSecretError, eventsSecretOf, generatedEventsSecret, loadSubgraphConfig } from '../src/index.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'medport-events-secret-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let folders = 0;
const newDataDir = () => path.join(scratch, `data-${++folders}`);

const MODULE = fileURLToPath(new URL('../src/events-secret.ts', import.meta.url));

/** The secret another process finds for `dataDir`, as a service started there would. */
function secretInAnotherProcess(dataDir: string): Promise<string> {
  const script = `const { generatedEventsSecret } = await import(${JSON.stringify(MODULE)}); console.log(generatedEventsSecret(${JSON.stringify(dataDir)}));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let errors = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (errors += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output.trim()) : reject(new Error(`exit ${code}: ${errors}`))));
  });
}

describe('the events secret of a data folder without EVENTS_SECRET', () => {
  it('is random, different for every folder, and kept in a file only its owner can read', () => {
    const first = newDataDir();
    const second = newDataDir();
    const secrets = [generatedEventsSecret(first), generatedEventsSecret(second)];
    for (const secret of secrets) expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(secrets[0]).not.toBe(secrets[1]);
    for (const folder of [first, second]) {
      const file = path.join(folder, EVENTS_SECRET_FILE);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readdirSync(folder)).toEqual([EVENTS_SECRET_FILE]);
    }
  });

  it('is the same for every later start on the folder, in this process or another', async () => {
    const dataDir = newDataDir();
    const first = generatedEventsSecret(dataDir);
    expect(generatedEventsSecret(dataDir)).toBe(first);
    expect(await secretInAnotherProcess(dataDir)).toBe(first);
    expect(readFileSync(path.join(dataDir, EVENTS_SECRET_FILE), 'utf8').trim()).toBe(first);
  });

  it('is one secret for services that start on a new folder at the same moment, and they leave nothing else behind', async () => {
    const dataDir = newDataDir();
    const secrets = await Promise.all(Array.from({ length: 4 }, () => secretInAnotherProcess(dataDir)));
    expect(new Set(secrets).size).toBe(1);
    expect(secrets[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(readdirSync(dataDir)).toEqual([EVENTS_SECRET_FILE]);
  }, 60_000);

  it('removes what a start killed half-way through creating it left behind', () => {
    const dataDir = newDataDir();
    generatedEventsSecret(dataDir);
    rmSync(path.join(dataDir, EVENTS_SECRET_FILE));
    // No process has pid 2^22 + 1 (Linux's largest is 2^22).
    writeFileSync(path.join(dataDir, `.${EVENTS_SECRET_FILE}-${2 ** 22 + 1}-0badc0de`), '');
    generatedEventsSecret(dataDir);
    expect(readdirSync(dataDir)).toEqual([EVENTS_SECRET_FILE]);
  });

  it('refuses a secret file that holds something else, naming it and what to do', () => {
    const dataDir = newDataDir();
    generatedEventsSecret(dataDir);
    writeFileSync(path.join(dataDir, EVENTS_SECRET_FILE), 'medport-development-events-secret\n');
    expect(() => generatedEventsSecret(dataDir)).toThrow(EventsSecretError);
    expect(() => generatedEventsSecret(dataDir)).toThrow(`${path.join(dataDir, EVENTS_SECRET_FILE)} does not hold an events secret`);
  });

  it('is one secret per process for in-memory databases, which have no folder to share', () => {
    const secret = generatedEventsSecret('memory');
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(generatedEventsSecret('memory')).toBe(secret);
    expect(readdirSync(scratch)).not.toContain('memory');
  });

  it('gives way to EVENTS_SECRET, and is never the constant of earlier versions', () => {
    const dataDir = newDataDir();
    const configured = loadSubgraphConfig('hospital', 4001, { EVENTS_SECRET: 'configured-events-secret-0123', MEDPORT_DATA_DIR: dataDir });
    expect(eventsSecretOf(configured)).toBe('configured-events-secret-0123');
    expect(configured.events.developmentSecret).toBe(false);
    expect(() => readdirSync(dataDir)).toThrow();

    const generated = loadSubgraphConfig('hospital', 4001, { MEDPORT_DATA_DIR: dataDir });
    expect(generated.events).toMatchObject({ secret: undefined, developmentSecret: true });
    expect(eventsSecretOf(generated)).toBe(generatedEventsSecret(dataDir));
    expect(eventsSecretOf(generated)).not.toBe('medport-development-events-secret');
  });
});
