import { demo } from '@medport/domain';
import { bearer, errorCodes, postGraphQL } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, rows, sql } from './support/eventually.js';
import { startStack, type Stack } from './support/stack.js';

// Twenty agencies, each with its own dispatcher, answer the same offer at the same moment through the gateway.
// Exactly one wins; the others are told CONFLICT; every silo agrees on the winner.

let stack: Stack;
const network = demo.buildDemoNetwork();
const hospital2 = network.hospitals[1]!;
const [origin, destination] = network.facilities.filter((facility) => facility.hospitalId === hospital2.id);
const AGENCIES = 20;
const PASSWORD = 'race-dispatcher-password';

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

const asAdmin = async (query: string, variables: Record<string, unknown> = {}) =>
  postGraphQL<any>(stack.gatewayUrl, query, variables, await stack.as('admin@center.demo'));

/** Registers an agency with the center and gives it a dispatcher account; returns the agency id and a token. */
async function agencyWithDispatcher(index: number): Promise<{ agencyId: string; email: string }> {
  const registered = await asAdmin(
    `mutation($input: RegisterServiceInput!) { registerService(input: $input) { agency { id } } }`,
    {
      input: {
        name: `Race Ambulance ${index}`,
        capabilities: ['BLS'],
        phone: '+1 412 555 0100',
        address: { line: `${index} Liberty Avenue`, city: 'Pittsburgh', state: 'PA', postalCode: '15222' },
      },
    },
  );
  expect(registered.errors).toBeUndefined();
  const agencyId = registered.data.registerService.agency.id;
  const email = `dispatcher-${index}@race.example.org`;
  const user = await asAdmin(`mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`, {
    input: { email, name: `Dispatcher ${index}`, role: 'EMS_DISPATCHER', agencyId, password: PASSWORD },
  });
  expect(user.errors).toBeUndefined();
  return { agencyId, email };
}

async function signIn(email: string): Promise<Record<string, string>> {
  const response = await postGraphQL<any>(stack.gatewayUrl, `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }`, {
    email,
    password: PASSWORD,
  });
  expect(response.errors).toBeUndefined();
  return bearer(response.data.login.accessToken);
}

describe('twenty agencies accepting one trip at once', () => {
  it('gives the trip to exactly one of them and answers the other nineteen CONFLICT', async () => {
    const agencies = await Promise.all(Array.from({ length: AGENCIES }, (_, index) => agencyWithDispatcher(index + 1)));
    const agencyIds = agencies.map((agency) => agency.agencyId);

    // The hospital prefers all twenty, once it has heard of them from the center.
    await eventually(async () => {
      const preferred = await postGraphQL<any>(
        stack.gatewayUrl,
        `mutation($hospitalId: ID!, $preferences: [AgencyPreferenceInput!]!) { setAgencyPreferences(hospitalId: $hospitalId, preferences: $preferences) { agency { id } } }`,
        { hospitalId: hospital2.id, preferences: agencyIds.map((agencyId) => ({ agencyId })) },
        await stack.as('admin@hospital-2.demo'),
      );
      expect(preferred.errors).toBeUndefined();
    });
    await eventually(async () => {
      const [known] = await rows(stack, 'ems', sql`select count(*)::int as n from agencies where id = any(${agencyIds}::uuid[])`);
      expect(known!.n).toBe(AGENCIES);
    });

    const created = await postGraphQL<any>(
      stack.gatewayUrl,
      `mutation($input: CreateTransportRequestInput!) { createTransportRequest(input: $input) { id } }`,
      { input: { originFacilityId: origin!.id, destinationFacilityId: destination!.id, patientReference: 'RACE-0001', transportLevel: 'BLS', priority: 'EMERGENT' } },
      await stack.as('coordinator@hospital-2.demo'),
    );
    expect(created.errors).toBeUndefined();
    const tripId = created.data.createTransportRequest.id;
    await eventually(async () => {
      const [offers] = await rows(stack, 'ems', sql`select count(*)::int as n from trip_responses where trip_id = ${tripId} and agency_id = any(${agencyIds}::uuid[])`);
      expect(offers!.n).toBe(AGENCIES);
    });

    const dispatchers = await Promise.all(agencies.map((agency) => signIn(agency.email)));
    const answers = await Promise.all(
      dispatchers.map((headers, index) =>
        postGraphQL<any>(
          stack.gatewayUrl,
          `mutation($tripId: ID!, $input: RespondToTripInput!) { respondToTrip(tripId: $tripId, input: $input) { status agency { id } } }`,
          { tripId, input: { decision: 'ACCEPT', etaMinutes: 5 + index } },
          headers,
        ),
      ),
    );
    const winners = answers.filter((answer) => !answer.errors);
    expect(winners).toHaveLength(1);
    expect(answers.filter((answer) => errorCodes(answer).join() === 'CONFLICT')).toHaveLength(AGENCIES - 1);
    const winner = winners[0]!.data.respondToTrip.agency.id;

    // Every silo agrees: one accepted answer in ems, one acceptance event, the winner assigned in the hospital and
    // recorded by the center.
    const accepted = await rows(stack, 'ems', sql`select agency_id from trip_responses where trip_id = ${tripId} and status = 'ACCEPTED'`);
    expect(accepted.map((row) => row.agency_id)).toEqual([winner]);
    const acceptances = await rows(
      stack,
      'ems',
      sql`select id from outbox_events where type = 'TripProgressReported' and aggregate_id = ${tripId} and payload->>'status' = 'ACCEPTED'`,
    );
    expect(acceptances).toHaveLength(1);
    await eventually(async () => {
      const [trip] = await rows(stack, 'hospital', sql`select status, assigned_agency_id from transport_requests where id = ${tripId}`);
      expect(trip).toEqual({ status: 'ACCEPTED', assigned_agency_id: winner });
      const [fact] = await rows(stack, 'center', sql`select agency_id, accepted_at from trip_facts where trip_id = ${tripId}`);
      expect(fact!.agency_id).toBe(winner);
      expect(fact!.accepted_at).not.toBeNull();
    });
    const history = await rows(stack, 'hospital', sql`select status from trip_history where transport_request_id = ${tripId} order by occurred_at`);
    expect(history.map((row) => row.status)).toEqual(['REQUESTED', 'ACCEPTED']);
  });
});
