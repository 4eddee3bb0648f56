import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { demo } from '@medport/domain';
import { openLiveConnection, postGraphQL } from '@medport/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from './support/eventually.js';
import { startStack, type Stack } from './support/stack.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'medport-embedded-'));
let stack: Stack | undefined;
/** Sends an operation through the gateway as the center admin. */
const execute = async (query: string, variables: Record<string, unknown> = {}, email = 'admin@center.demo') =>
  postGraphQL(stack!.gatewayUrl, query, variables, await stack!.as(email));

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const network = demo.buildDemoNetwork();
const COUNT = `{ transportRequests(first: 200, filter: { status: [REQUESTED] }) { nodes { id patientReference } } }`;

describe('the embedded default', () => {
  it('migrates and seeds each silo on first start, answers across silos, and keeps its data across restarts', async () => {
    stack = await startStack({ embeddedDataDir: dataDir });
    expect(Object.values(stack.subgraphs).map((subgraph) => subgraph.database.kind)).toEqual(['pglite', 'pglite', 'pglite']);

    const trips: any = await execute(
      `{ transportRequests(first: 5, filter: { status: [COMPLETED] }) { nodes { id origin { name } hospital { name } assignedAgency { name } } } }`,
    );
    expect(trips.errors, JSON.stringify(trips.errors)).toBeUndefined();
    for (const node of trips.data.transportRequests.nodes) {
      const trip = network.trips.find((candidate) => candidate.id === node.id)!;
      expect(node.assignedAgency.name).toBe(network.agencies.find((agency) => agency.id === trip.assignedAgencyId)!.name);
      expect(node.hospital.name).toBe(network.hospitals.find((hospital) => hospital.id === trip.hospitalId)!.name);
    }

    const [origin, destination] = network.facilities;
    const created: any = await execute(
      `mutation($input: CreateTransportRequestInput!) { createTransportRequest(input: $input) { id } }`,
      {
        input: {
          originFacilityId: origin!.id,
          destinationFacilityId: destination!.id,
          patientReference: 'MRN-EMBEDDED-1',
          transportLevel: 'BLS',
          priority: 'ROUTINE',
        },
      },
      'coordinator@hospital-1.demo',
    );
    const id = created.data.createTransportRequest.id;
    const before: any = await execute(COUNT);
    await stack.stop();
    stack = undefined;

    stack = await startStack({ embeddedDataDir: dataDir });
    const after: any = await execute(COUNT);
    expect(after.data.transportRequests.nodes).toEqual(before.data.transportRequests.nodes);
    expect(after.data.transportRequests.nodes.map((node: any) => node.id)).toContain(id);

    // Events flow between the embedded databases as well, across the restart: the trip is offered in ems, an
    // agency accepts it, and the hospital follows.
    await eventually(async () => {
      const offers: any = await execute(`{ availableTrips(first: 100) { nodes { id } } }`, {}, 'dispatcher@agency-1.demo');
      expect(offers.data.availableTrips.nodes.map((node: any) => node.id)).toContain(id);
    });
    // Live subscriptions read the embedded outbox the same way: the coordinator follows the trip while it is accepted.
    const live = openLiveConnection(stack.gatewayUrl, await stack.tokenFor('coordinator@hospital-1.demo'));
    const following = live.subscribe(`subscription($id: ID) { tripStatusChanged(transportRequestId: $id) { status transportRequest { assignedAgency { name } } } }`, { id });
    await eventually(async () => expect(stack!.subgraphs.hospital.live.listenerCount).toBe(1));
    const accepted: any = await execute(
      `mutation($id: ID!) { respondToTrip(tripId: $id, input: { decision: ACCEPT, etaMinutes: 12 }) { status } }`,
      { id },
      'dispatcher@agency-1.demo',
    );
    expect(accepted.errors).toBeUndefined();
    await eventually(async () => {
      const trip: any = await execute(`query($id: ID!) { transportRequest(id: $id) { status assignedAgency { name } } }`, { id });
      expect(trip.data.transportRequest).toEqual({ status: 'ACCEPTED', assignedAgency: { name: network.agencies[0]!.name } });
    });
    const [change] = await following.take(1);
    expect(change!.data).toEqual({ tripStatusChanged: { status: 'ACCEPTED', transportRequest: { assignedAgency: { name: network.agencies[0]!.name } } } });
    await live.dispose();
  });
});
