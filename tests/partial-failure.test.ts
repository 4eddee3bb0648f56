import { demo } from '@medport/domain';
import { postGraphQL, type GraphQLResponse } from '@medport/testing';
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

// Every board a person keeps open, with fields of all three silos: the coordinator's and the analyst's trip board
// (hospital's trips, the center's hospital names, ems's agencies and answers) and the dispatcher's offers (ems's
// offers, the hospital's trips and facilities, the center's hospital names).
const TRIP_BOARD = `{ transportRequests(first: 20) { nodes { id status origin { name } hospital { name } assignedAgency { name } responses { status } } } }`;
const OFFER_BOARD = `{ availableTrips(first: 20) { nodes { id status trip { id status } origin { name } hospital { name } response { status trip { id status } } } } }`;

type Board = GraphQLResponse<any> & { extensions?: unknown };
const boardOf = async (query: string, email: string): Promise<Board> => postGraphQL(stack.gatewayUrl, query, {}, await stack.as(email));
const unavailableServices = (board: Board) => [...new Set((board.errors ?? []).map((error) => `${error.extensions?.code}:${error.extensions?.serviceName}`))];

describe('each silo down in turn', () => {
  const accounts = { coordinator: 'coordinator@hospital-1.demo', analyst: 'analyst@center.demo', dispatcher: 'dispatcher@agency-1.demo' };

  beforeAll(async () => {
    await stack.restartSubgraph('ems');
  });

  /** The boards while every silo answers: the reference the degraded answers are compared with. */
  async function healthyBoards() {
    const [coordinator, analyst, dispatcher] = await Promise.all([
      boardOf(TRIP_BOARD, accounts.coordinator),
      boardOf(TRIP_BOARD, accounts.analyst),
      boardOf(OFFER_BOARD, accounts.dispatcher),
    ]);
    for (const board of [coordinator, analyst, dispatcher]) expect(board.errors).toBeUndefined();
    expect(dispatcher.data.availableTrips.nodes.length).toBeGreaterThan(0);
    return { coordinator, analyst, dispatcher };
  }

  async function withSiloDown(silo: 'hospital' | 'ems' | 'center', check: (boards: Awaited<ReturnType<typeof healthyBoards>>, degraded: { coordinator: Board; analyst: Board; dispatcher: Board }) => void) {
    const healthy = await healthyBoards();
    await stack.stopSubgraph(silo);
    try {
      const [coordinator, analyst, dispatcher] = await Promise.all([
        boardOf(TRIP_BOARD, accounts.coordinator),
        boardOf(TRIP_BOARD, accounts.analyst),
        boardOf(OFFER_BOARD, accounts.dispatcher),
      ]);
      for (const board of [coordinator, analyst, dispatcher]) expect(unavailableServices(board)).toEqual([`SERVICE_UNAVAILABLE:${silo}`]);
      check(healthy, { coordinator, analyst, dispatcher });
    } finally {
      await stack.restartSubgraph(silo);
    }
  }

  /** A board's nodes with the fields of one silo blanked, as they must come back while that silo is down. */
  const without = (nodes: any[], blank: (node: any) => any) => nodes.map((node) => ({ ...node, ...blank(node) }));

  it('keeps the trip boards and the offers whole but the hospital names while the center is down', async () => {
    await withSiloDown('center', (healthy, degraded) => {
      for (const board of ['coordinator', 'analyst'] as const) {
        expect(degraded[board].data.transportRequests.nodes).toEqual(without(healthy[board].data.transportRequests.nodes, () => ({ hospital: null })));
      }
      expect(degraded.dispatcher.data.availableTrips.nodes).toEqual(without(healthy.dispatcher.data.availableTrips.nodes, () => ({ hospital: null })));
    });
  });

  it('keeps the trip boards but their agencies and answers, and no offers, while ems is down', async () => {
    await withSiloDown('ems', (healthy, degraded) => {
      for (const board of ['coordinator', 'analyst'] as const) {
        expect(degraded[board].data.transportRequests.nodes).toEqual(
          without(healthy[board].data.transportRequests.nodes, (node) => ({ assignedAgency: null, responses: null, status: node.status })),
        );
      }
      // The offers are ems's own list: without ems there is none to show.
      expect(degraded.dispatcher.data).toBeNull();
    });
  });

  it('keeps the offers but their trips and facilities, and no trip board, while the hospital silo is down', async () => {
    await withSiloDown('hospital', (healthy, degraded) => {
      for (const board of ['coordinator', 'analyst'] as const) expect(degraded[board].data).toBeNull();
      expect(degraded.dispatcher.data.availableTrips.nodes).toEqual(
        without(healthy.dispatcher.data.availableTrips.nodes, () => ({ trip: null, origin: null })),
      );
    });
  });
});

describe('an offer the agency does not serve yet', () => {
  it('shows its trip as null without an error', async () => {
    const board = await boardOf(OFFER_BOARD, 'dispatcher@agency-1.demo');
    expect(board.errors).toBeUndefined();
    // The gateway reports a field it was promised and did not get here, beside the errors.
    expect(board.extensions).toBeUndefined();
    const offeredOnly = board.data.availableTrips.nodes.filter((node: any) => node.status === 'REQUESTED');
    expect(offeredOnly.length).toBeGreaterThan(0);
    for (const node of offeredOnly) expect(node.trip).toBeNull();
  });
});
