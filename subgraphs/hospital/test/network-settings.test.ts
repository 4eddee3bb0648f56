import { randomUUID } from 'node:crypto';
import { loadSubgraphConfig } from '@medport/config';
import { ANNOUNCED_SETTING_KEYS, demo, type EventContracts } from '@medport/domain';
import type { TypedEvent } from '@medport/events';
import { startSubgraph, type RunningSubgraph } from '@medport/server';
import { bearer, createTestDatabase, postGraphQL, startTestIssuer, type TestDatabase, type TestIssuer } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hospitalConsumers } from '../src/events.js';
import { hospitalSubgraph, type HospitalDatabase } from '../src/index.js';

// The center's settings the hospital applies: its copy of them, and the offer deadline of new trips.

let database: TestDatabase;
let issuer: TestIssuer;
let hospital: RunningSubgraph<HospitalDatabase>;
const network = demo.buildDemoNetwork();
const [origin, destination] = network.facilities.filter((facility) => facility.hospitalId === network.hospitals[0]!.id);
// Not the center's default of 60 minutes, so a deadline shows which of the two it came from.
const CONFIGURED_DEADLINE_SECONDS = 1_800;
const DEADLINE_KEY = ANNOUNCED_SETTING_KEYS.responseDeadlineMinutes;

beforeAll(async () => {
  database = await createTestDatabase('hospital');
  issuer = await startTestIssuer();
  const config = loadSubgraphConfig('hospital', 0, {
    ...database.env,
    ...issuer.env,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    SEED_DEMO_DATA: 'true',
    OFFER_DEADLINE_SECONDS: String(CONFIGURED_DEADLINE_SECONDS),
  });
  hospital = await startSubgraph(hospitalSubgraph, config);
});

afterAll(async () => {
  await hospital?.stop();
  await issuer?.close();
  await database?.drop();
});

const db = () => hospital.database.db;
const fromCenter = hospitalConsumers.find((consumer) => consumer.name === 'hospital.from-center')!;

/** Applies the center's announcement through the consumer's real handler, in a transaction, as the consumer does. */
async function announce(key: string, value: EventContracts['SystemSettingChanged']['value'], changedAt: Date) {
  const payload: EventContracts['SystemSettingChanged'] = { key, value, changedById: randomUUID(), changedAt: changedAt.toISOString() };
  const event: TypedEvent<'SystemSettingChanged'> = { id: randomUUID(), type: 'SystemSettingChanged', aggregateId: key, occurredAt: payload.changedAt, payload, cursor: '1:1' };
  await db().transaction().execute((trx) => fromCenter.handlers.SystemSettingChanged!(trx, event));
}

/** Requests a trip and answers how many seconds after its request its offers expire. */
async function deadlineSecondsOfNewTrip(): Promise<number> {
  const response = await postGraphQL<any>(
    hospital.url,
    `mutation($input: CreateTransportRequestInput!) { createTransportRequest(input: $input) { id requestedAt } }`,
    {
      input: {
        originFacilityId: origin!.id,
        destinationFacilityId: destination!.id,
        patientReference: `MRN-${randomUUID().slice(0, 8)}`,
        transportLevel: 'BLS',
        priority: 'URGENT',
      },
    },
    bearer(await issuer.tokenForDemoUser('coordinator@hospital-1.demo')),
  );
  expect(response.errors).toBeUndefined();
  const trip = response.data.createTransportRequest;
  const [event] = await db()
    .selectFrom('outbox_events')
    .select('payload')
    .where('type', '=', 'TripRequested')
    .where('aggregate_id', '=', trip.id)
    .execute();
  const { requestedAt, responseDeadline } = event!.payload as EventContracts['TripRequested'];
  return (new Date(responseDeadline).getTime() - new Date(requestedAt).getTime()) / 1000;
}

describe('the offer deadline (SystemSettingChanged)', () => {
  let clock = Date.now();
  const later = () => new Date((clock += 1_000));

  it('is the configured one until the center announces its own', async () => {
    expect(await deadlineSecondsOfNewTrip()).toBe(CONFIGURED_DEADLINE_SECONDS);
  });

  it("is the center's once announced, for trips requested afterwards", async () => {
    await announce(DEADLINE_KEY, 20, later());
    expect(await deadlineSecondsOfNewTrip()).toBe(20 * 60);
  });

  it('keeps the newest announcement: an older one retried late changes nothing, a replay neither', async () => {
    const newest = later();
    await announce(DEADLINE_KEY, 45, newest);
    await announce(DEADLINE_KEY, 10, new Date(newest.getTime() - 500));
    await announce(DEADLINE_KEY, 45, newest);
    const stored = await db().selectFrom('network_settings').selectAll().where('key', '=', DEADLINE_KEY).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ value: 45, changed_at: newest });
    expect(await deadlineSecondsOfNewTrip()).toBe(45 * 60);
  });

  it('goes back to the configured one when the center withdraws the setting', async () => {
    await announce(DEADLINE_KEY, null, later());
    expect(await deadlineSecondsOfNewTrip()).toBe(CONFIGURED_DEADLINE_SECONDS);
  });

  it('keeps settings this silo does not read yet, for a newer version of it', async () => {
    await announce('dispatch.mode', 'PREFERRED', later());
    const stored = await db().selectFrom('network_settings').selectAll().where('key', '=', 'dispatch.mode').executeTakeFirstOrThrow();
    expect(stored.value).toBe('PREFERRED');
  });
});
