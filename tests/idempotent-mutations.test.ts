import { randomUUID } from 'node:crypto';
import { demo } from '@medport/domain';
import { postGraphQL } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from './support/eventually.js';
import { startReplicas } from './support/replicas.js';
import { startStack, type Stack } from './support/stack.js';
import { offersOf } from './support/trips.js';

// A client that timed out, lost its answer or met a restarting gateway cannot tell whether its change happened. It
// sends the change again with the same Idempotency-Key and gets the first outcome; nothing happens twice.

let stack: Stack;
const network = demo.buildDemoNetwork();
const hospital = network.hospitals[0]!;
const [origin, destination] = network.facilities.filter((facility) => facility.hospitalId === hospital.id);
const agency1 = network.agencies.find((agency) => agency.slug === 'agency-1')!;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

const CREATE_TRIP = `mutation($input: CreateTransportRequestInput!) { createTransportRequest(input: $input) { id status } }`;
const CANCEL_TRIP = `mutation($id: ID!) { cancelTransportRequest(id: $id, input: { reason: DUPLICATE_REQUEST, party: HOSPITAL }) { id status } }`;
const RESPOND = `mutation($tripId: ID!, $input: RespondToTripInput!) { respondToTrip(tripId: $tripId, input: $input) { id status etaMinutes } }`;
const ASSIGN_UNIT = `mutation($tripId: ID!, $unitId: ID!) { assignUnit(tripId: $tripId, unitId: $unitId) { id status } }`;
const REPORT_PROGRESS = `mutation($tripId: ID!, $status: TransportStatus!) { reportTripProgress(tripId: $tripId, status: $status) { id status } }`;

const tripInput = (patientReference: string) => ({
  originFacilityId: origin!.id,
  destinationFacilityId: destination!.id,
  patientReference,
  transportLevel: 'BLS',
  priority: 'URGENT',
});

async function send(url: string, email: string, query: string, variables: Record<string, unknown>, key?: string) {
  return postGraphQL<any>(url, query, variables, { ...(await stack.as(email)), ...(key ? { 'idempotency-key': key } : {}) });
}

const tripsWithReference = async (patientReference: string) =>
  (await rows(stack, 'hospital', sql`select id from transport_requests where patient_reference = ${patientReference}`)).map((row) => row.id);

describe('a mutation sent again with its Idempotency-Key', () => {
  it('creates one trip however often and however concurrently it is sent, and answers every copy with it', async () => {
    const key = randomUUID();
    const reference = `IDEM-${key.slice(0, 8)}`;
    const first = await send(stack.gatewayUrl, 'coordinator@hospital-1.demo', CREATE_TRIP, { input: tripInput(reference) }, key);
    expect(first.errors).toBeUndefined();
    const copies = await Promise.all(
      Array.from({ length: 10 }, () => send(stack.gatewayUrl, 'coordinator@hospital-1.demo', CREATE_TRIP, { input: tripInput(reference) }, key)),
    );
    for (const copy of copies) expect(copy.data).toEqual(first.data);
    expect(await tripsWithReference(reference)).toEqual([first.data.createTransportRequest.id]);
  });

  it('creates one trip when the copies race from the start', async () => {
    const key = randomUUID();
    const reference = `IDEM-${key.slice(0, 8)}`;
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => send(stack.gatewayUrl, 'coordinator@hospital-1.demo', CREATE_TRIP, { input: tripInput(reference) }, key)),
    );
    const ids = new Set(answers.map((answer) => answer.data?.createTransportRequest?.id));
    expect(answers.flatMap((answer) => answer.errors ?? [])).toEqual([]);
    expect(ids.size).toBe(1);
    expect(await tripsWithReference(reference)).toEqual([...ids]);
  });

  it('keeps the first outcome across a restart of the silo and through another replica and gateway', async () => {
    const key = randomUUID();
    const reference = `IDEM-${key.slice(0, 8)}`;
    const first = await send(stack.gatewayUrl, 'coordinator@hospital-1.demo', CREATE_TRIP, { input: tripInput(reference) }, key);
    expect(first.errors).toBeUndefined();
    await stack.stopSubgraph('hospital');
    await stack.restartSubgraph('hospital');
    const afterRestart = await send(stack.gatewayUrl, 'coordinator@hospital-1.demo', CREATE_TRIP, { input: tripInput(reference) }, key);
    expect(afterRestart.data).toEqual(first.data);
    const replicas = await startReplicas(stack);
    try {
      const elsewhere = await send(replicas.gateway.url, 'coordinator@hospital-1.demo', CREATE_TRIP, { input: tripInput(reference) }, key);
      expect(elsewhere.data).toEqual(first.data);
    } finally {
      await replicas.stop();
    }
    expect(await tripsWithReference(reference)).toEqual([first.data.createTransportRequest.id]);
  });

  it('is another request when sent without the key', async () => {
    const key = randomUUID();
    const reference = `IDEM-${key.slice(0, 8)}`;
    const mine = await send(stack.gatewayUrl, 'coordinator@hospital-1.demo', CREATE_TRIP, { input: tripInput(reference) }, key);
    const unkeyed = await send(stack.gatewayUrl, 'coordinator@hospital-1.demo', CREATE_TRIP, { input: tripInput(reference) });
    expect(unkeyed.data.createTransportRequest.id).not.toBe(mine.data.createTransportRequest.id);
    expect((await tripsWithReference(reference)).length).toBe(2);
  });

  it('answers a cancellation sent twice with the first outcome, and cancels once', async () => {
    const created = await send(stack.gatewayUrl, 'coordinator@hospital-1.demo', CREATE_TRIP, { input: tripInput(`IDEM-${randomUUID().slice(0, 8)}`) });
    const tripId = created.data.createTransportRequest.id;
    const key = randomUUID();
    const first = await send(stack.gatewayUrl, 'coordinator@hospital-1.demo', CANCEL_TRIP, { id: tripId }, key);
    expect(first.errors).toBeUndefined();
    expect(first.data.cancelTransportRequest.status).toBe('CANCELLED');
    const again = await send(stack.gatewayUrl, 'coordinator@hospital-1.demo', CANCEL_TRIP, { id: tripId }, key);
    expect(again).toMatchObject({ data: first.data });
    expect(again.errors).toBeUndefined();
    // Without the key, the second cancellation is refused: the trip is cancelled already.
    const unkeyed = await send(stack.gatewayUrl, 'coordinator@hospital-1.demo', CANCEL_TRIP, { id: tripId });
    expect(unkeyed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const history = await rows(stack, 'hospital', sql`select status from trip_history where transport_request_id = ${tripId} and status = 'CANCELLED'`);
    expect(history).toHaveLength(1);
  });

  it('answers an acceptance, a unit assignment and a progress report sent twice with their first outcomes, each done once', async () => {
    const created = await send(stack.gatewayUrl, 'coordinator@hospital-1.demo', CREATE_TRIP, { input: tripInput(`IDEM-${randomUUID().slice(0, 8)}`) });
    const tripId = created.data.createTransportRequest.id;
    await offersOf(stack, tripId);

    const acceptKey = randomUUID();
    const accept = { tripId, input: { decision: 'ACCEPT', etaMinutes: 12 } };
    const accepted = await send(stack.gatewayUrl, 'dispatcher@agency-1.demo', RESPOND, accept, acceptKey);
    expect(accepted.errors).toBeUndefined();
    expect(await send(stack.gatewayUrl, 'dispatcher@agency-1.demo', RESPOND, accept, acceptKey)).toMatchObject({ data: accepted.data });

    const unit = await send(stack.gatewayUrl, `admin@agency-1.demo`, `mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`, {
      input: { agencyId: agency1.id, unitNumber: `I-${randomUUID().slice(0, 6)}`, level: 'BLS' },
    });
    const unitId = unit.data.createUnit.id;
    const assignKey = randomUUID();
    const assigned = await send(stack.gatewayUrl, 'dispatcher@agency-1.demo', ASSIGN_UNIT, { tripId, unitId }, assignKey);
    expect(assigned.errors).toBeUndefined();
    expect(await send(stack.gatewayUrl, 'dispatcher@agency-1.demo', ASSIGN_UNIT, { tripId, unitId }, assignKey)).toMatchObject({ data: assigned.data });

    const reportKey = randomUUID();
    const reported = await send(stack.gatewayUrl, 'crew@agency-1.demo', REPORT_PROGRESS, { tripId, status: 'EN_ROUTE' }, reportKey);
    expect(reported.errors).toBeUndefined();
    const reportedAgain = await send(stack.gatewayUrl, 'crew@agency-1.demo', REPORT_PROGRESS, { tripId, status: 'EN_ROUTE' }, reportKey);
    expect(reportedAgain.errors).toBeUndefined();
    expect(reportedAgain.data).toEqual(reported.data);

    const progress = await rows(stack, 'ems', sql`select status from trip_progress where trip_id = ${tripId} order by occurred_at`);
    expect(progress.map((row) => row.status)).toEqual(['ACCEPTED', 'ASSIGNED', 'EN_ROUTE']);
  });

  it('refuses a key of another shape as bad input and changes nothing', async () => {
    const reference = `IDEM-${randomUUID().slice(0, 8)}`;
    const refused = await send(stack.gatewayUrl, 'coordinator@hospital-1.demo', CREATE_TRIP, { input: tripInput(reference) }, 'has spaces in it');
    expect(refused.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(await tripsWithReference(reference)).toEqual([]);
  });
});
