import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSubgraphConfig } from '@medport/config';
import { hospitalSubgraph } from '@medport/hospital';
import { startSubgraph, type RunningSubgraph } from '@medport/server';
import { createTestDatabase, type TestDatabase } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A silo started without EVENTS_SECRET on a data folder of its own, as the quick start starts them.
const dataDir = mkdtempSync(path.join(tmpdir(), 'medport-feed-secret-'));
let database: TestDatabase;
let hospital: RunningSubgraph<unknown>;

beforeAll(async () => {
  database = await createTestDatabase('hospital');
  // The other silos' feeds at an address nothing listens on: whatever runs on the default ports is left alone.
  const nowhere = 'http://127.0.0.1:9/graphql';
  const config = loadSubgraphConfig('hospital', 0, {
    ...database.env,
    MEDPORT_DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    EMS_URL: nowhere,
    CENTER_URL: nowhere,
    AUTH_JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json',
  });
  hospital = (await startSubgraph(hospitalSubgraph, config)) as RunningSubgraph<unknown>;
});

afterAll(async () => {
  await hospital?.stop();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

const readFeed = (secret: string) => fetch(new URL('/events?limit=1', hospital.url), { headers: { authorization: `Bearer ${secret}` } });

describe('the events feed of a silo without EVENTS_SECRET', () => {
  it("opens to its data folder's generated secret only, not to the constant every copy of MedPort used to share", async () => {
    const withConstant = await readFeed('medport-development-events-secret');
    expect(withConstant.status).toBe(401);
    expect(await withConstant.json()).toEqual({ error: expect.stringContaining('events secret') });

    const generated = readFileSync(path.join(dataDir, 'events-secret'), 'utf8').trim();
    expect(generated).toMatch(/^[0-9a-f]{64}$/);

    const withGenerated = await readFeed(generated);
    expect(withGenerated.status).toBe(200);
    expect(await withGenerated.json()).toEqual({ events: expect.any(Array) });
  });
});
