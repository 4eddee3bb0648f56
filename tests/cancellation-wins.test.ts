import { demo } from '@medport/domain';
import { postGraphQL } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, rows, sql } from './support/eventually.js';
import { startStack, type Stack } from './support/stack.js';
import { offersOf, requestTrip } from './support/trips.js';

// An agency accepts a trip while the hospital cannot hear of it yet (the hospital silo is down, then ems is down),
// and the hospital cancels the trip meanwhile. The hospital's cancellation wins; once everyone is back, every silo
// must say the same: cancelled, and held by no agency.

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

describe('a cancellation that crossed an acceptance', () => {
  it('leaves every silo with the trip cancelled and held by no agency, the acceptance withdrawn', async () => {
    const coordinator = await stack.as('coordinator@hospital-1.demo');
    const dispatcher = await stack.as('dispatcher@agency-1.demo');
    const tripId = await requestTrip(stack.gatewayUrl, coordinator);
    await offersOf(stack, tripId);

    // The hospital does not hear of the acceptance: it is down while ems records it, and ems is down when it returns.
    await stack.stopSubgraph('hospital');
    const accepted = await postGraphQL<any>(
      stack.gatewayUrl,
      `mutation($tripId: ID!) { respondToTrip(tripId: $tripId, input: { decision: ACCEPT, etaMinutes: 9 }) { status } }`,
      { tripId },
      dispatcher,
    );
    expect(accepted.data?.respondToTrip.status).toBe('ACCEPTED');
    await stack.stopSubgraph('ems');
    await stack.restartSubgraph('hospital');
    const cancelled = await postGraphQL<any>(
      stack.gatewayUrl,
      `mutation($id: ID!) { cancelTransportRequest(id: $id, input: { reason: PATIENT_CONDITION_CHANGED, party: HOSPITAL }) { status } }`,
      { id: tripId },
      coordinator,
    );
    expect(cancelled.data?.cancelTransportRequest.status).toBe('CANCELLED');
    await stack.restartSubgraph('ems');

    await eventually(async () => {
      const [hospital] = await rows(stack, 'hospital', sql`select status, assigned_agency_id from transport_requests where id = ${tripId}`);
      const [ems] = await rows(stack, 'ems', sql`select status, assigned_agency_id, assigned_unit_id from trips where id = ${tripId}`);
      const [center] = await rows(stack, 'center', sql`select status, agency_id from trip_facts where trip_id = ${tripId}`);
      expect(hospital).toEqual({ status: 'CANCELLED', assigned_agency_id: null });
      expect(ems).toEqual({ status: 'CANCELLED', assigned_agency_id: null, assigned_unit_id: null });
      expect(center).toEqual({ status: 'CANCELLED', agency_id: null });
      const responses = await rows(stack, 'ems', sql`select status from trip_responses where trip_id = ${tripId} and status = 'ACCEPTED'`);
      expect(responses).toEqual([]);
    });
    // Every step is on record where it happened, the acceptance as one that came after the cancellation; and the trip
    // is not on the agency's list.
    const history = await rows(stack, 'hospital', sql`select status, notes from trip_history where transport_request_id = ${tripId} order by created_at`);
    expect(history.map((entry) => entry.status)).toEqual(['REQUESTED', 'CANCELLED', 'ACCEPTED']);
    expect(history[2]!.notes).toMatch(/after/i);
    const agency1 = demo.buildDemoNetwork().agencies.find((agency) => agency.slug === 'agency-1')!;
    const trips = await postGraphQL<any>(stack.gatewayUrl, `query($id: ID!) { agency(id: $id) { trips(first: 50) { nodes { id } } } }`, { id: agency1.id }, dispatcher);
    expect(trips.data.agency.trips.nodes.map((node: { id: string }) => node.id)).not.toContain(tripId);
  });
});
