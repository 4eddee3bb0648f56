import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { demo } from '@medport/domain';
import { bearer, postGraphQL } from '@medport/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { launchQuickStart, listening, type QuickStart } from './support/quick-start.js';

const network = demo.buildDemoNetwork();
const dataDir = mkdtempSync(path.join(tmpdir(), 'medport-first-start-'));
const started: QuickStart[] = [];

afterAll(async () => {
  for (const quickStart of started) {
    quickStart.signalGroup('SIGKILL');
    await quickStart.exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

async function launch(options: Parameters<typeof launchQuickStart>[0] = {}) {
  const quickStart = await launchQuickStart({ ...options, env: { MEDPORT_DATA_DIR: dataDir, ...options.env } });
  started.push(quickStart);
  return quickStart;
}

/** Where each silo's first start was, by the last thing it said about its database. */
function phases(quickStart: QuickStart): Record<string, string> {
  const steps: [RegExp, string][] = [
    [/"demo data seeded"/, 'seeded'],
    [/"migrations applied"/, 'migrated, seeding'],
    [/embedded database initialised; migrating/, 'migrating'],
    [/creating the embedded database/, 'creating'],
  ];
  const result: Record<string, string> = {};
  for (const silo of ['hospital', 'ems', 'center']) {
    const lines = quickStart.output.filter((line) => line.startsWith(`[${silo.padEnd(8)}]`));
    result[silo] = steps.find(([pattern]) => lines.some((line) => pattern.test(line)))?.[1] ?? 'complete before';
  }
  return result;
}

/** Every record of the demo network, counted through the gateway as the center's staff see it. */
async function expectWholeDemoNetwork(gatewayUrl: string) {
  const login = await postGraphQL<any>(gatewayUrl, `mutation { login(email: "analyst@center.demo", password: "${demo.DEMO_PASSWORD}") { accessToken } }`);
  expect(login.errors).toBeUndefined();
  const counted: Record<string, number> = {};
  // One list per request: together they would pass the gateway's cost limit.
  for (const field of ['transportRequests', 'facilities', 'agencies', 'units', 'hospitals', 'users']) {
    const page = await postGraphQL<any>(gatewayUrl, `{ ${field}(first: 500) { nodes { id } } }`, {}, bearer(login.data.login.accessToken));
    expect(page.errors).toBeUndefined();
    counted[field] = page.data[field].nodes.length;
  }
  expect(counted).toEqual({
    transportRequests: network.trips.length,
    facilities: network.facilities.length,
    agencies: network.agencies.length,
    units: network.units.length,
    hospitals: network.hospitals.length,
    users: network.users.length,
  });
}

describe('the first start on the embedded default', () => {
  it(
    'interrupted while the databases are created, migrated or seeded — by SIGINT, SIGTERM or SIGKILL — leaves nothing half-made, and the next start comes up with the whole demo network',
    async () => {
      const interruptions: { after: RegExp; delayMs: number; signal: NodeJS.Signals }[] = [
        { after: /creating the embedded database/, delayMs: 300, signal: 'SIGINT' },
        { after: /embedded database initialised; migrating/, delayMs: 0, signal: 'SIGTERM' },
        { after: /"migrations applied"/, delayMs: 0, signal: 'SIGKILL' },
        { after: /"demo data seeded"/, delayMs: 0, signal: 'SIGKILL' },
      ];
      const seen: Record<string, string>[] = [];
      for (const { after, delayMs, signal } of interruptions) {
        const quickStart = await launch();
        await quickStart.waitForLine(after);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        // As a terminal does it: every process of the group gets the signal at once.
        quickStart.signalGroup(signal);
        await quickStart.exited;
        seen.push(phases(quickStart));
        for (const port of Object.values(quickStart.ports)) expect(await listening(port)).toBe(false);
        // What is in place is a database that was complete when it was moved there.
        for (const silo of ['hospital', 'ems', 'center']) {
          const folder = path.join(dataDir, silo);
          if (existsSync(folder)) expect(readdirSync(folder)).toContain('PG_VERSION');
        }
      }
      // Each interruption caught at least one silo mid-way.
      const midWay = (phase: Record<string, string>) => Object.values(phase).some((step) => step !== 'seeded' && step !== 'complete before');
      expect(seen.every(midWay), JSON.stringify(seen)).toBe(true);

      // The README's own command: the user sees it come up, then stop on Ctrl+C without a failure.
      const quickStart = await launch({ via: 'pnpm' });
      await quickStart.waitForLine(/MedPort is up/);
      await expectWholeDemoNetwork(quickStart.gatewayUrl);
      // The builds that the killed starts left behind are gone; beside the databases is the silos' generated secret.
      expect(readdirSync(dataDir).sort()).toEqual(['center', 'ems', 'events-secret', 'hospital']);

      quickStart.signalGroup('SIGINT');
      await quickStart.exited;
      expect(quickStart.output.join('\n')).toContain('Stopping MedPort');
      expect(quickStart.output.filter((line) => /ELIFECYCLE|Command failed/.test(line))).toEqual([]);
      for (const port of Object.values(quickStart.ports)) expect(await listening(port)).toBe(false);
    },
    600_000,
  );
});
