import { demo } from '@medport/domain';
import { postGraphQL } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './support/stack.js';

let stack: Stack;
/** Sends an operation through the gateway as the center admin. */
const execute = async (query: string, variables: Record<string, unknown> = {}) => postGraphQL(stack.gatewayUrl, query, variables, await stack.as());
const network = demo.buildDemoNetwork();

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

/** The gateway's `GET /ready`, next to its /graphql. */
const gatewayReadiness = async () => {
  const response = await fetch(new URL('/ready', stack.gatewayUrl));
  return { status: response.status, body: await response.json() };
};

describe('a silo that is down', () => {
  it('leaves the gateway ready, with its readiness naming the subgraph it cannot reach', async () => {
    expect(await gatewayReadiness()).toEqual({ status: 200, body: { status: 'ready', subgraphs: { hospital: 'ready', ems: 'ready', center: 'ready' } } });
    await stack.stopSubgraph('ems');
    // Probes are reused for a second; a load balancer asking again soon after sees the change.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await gatewayReadiness()).toEqual({ status: 200, body: { status: 'degraded', subgraphs: { hospital: 'ready', ems: 'unavailable', center: 'ready' } } });
    await stack.restartSubgraph('ems');
  });

  it('leaves the rest of the answer intact and names the missing service', async () => {
    const query = `{ transportRequests(first: 20, filter: { status: [COMPLETED] }) { nodes { id status origin { name } hospital { name } assignedAgency { name } } } }`;
    const healthy: any = await execute(query);
    expect(healthy.errors).toBeUndefined();
    expect(healthy.data.transportRequests.nodes.every((node: any) => node.assignedAgency?.name)).toBe(true);

    await stack.stopSubgraph('ems');

    const degraded: any = await execute(query);
    expect(degraded.status).toBe(200);
    const nodes = degraded.data.transportRequests.nodes;
    expect(nodes.map((node: any) => node.id)).toEqual(healthy.data.transportRequests.nodes.map((node: any) => node.id));
    for (const node of nodes) {
      const trip = network.trips.find((candidate) => candidate.id === node.id)!;
      expect(node.assignedAgency).toBeNull();
      expect(node.origin.name).toBe(network.facilities.find((facility) => facility.id === trip.originFacilityId)!.name);
      expect(node.hospital.name).toBe(network.hospitals.find((hospital) => hospital.id === trip.hospitalId)!.name);
    }
    expect(degraded.errors).toHaveLength(1);
    expect(degraded.errors[0].message).toMatch(/ems/);
    expect(degraded.errors[0].extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', serviceName: 'ems' });
  });

  it('fails only the fields of the missing service when asked for them directly', async () => {
    const response: any = await execute(`query($id: ID!) { agency(id: $id) { name } facilities(first: 1) { nodes { name } } }`, {
      id: network.agencies[0]!.id,
    });
    expect(response.data.agency).toBeNull();
    expect(response.data.facilities.nodes).toHaveLength(1);
    expect(response.errors?.[0]?.extensions).toMatchObject({ serviceName: 'ems' });
  });
});
