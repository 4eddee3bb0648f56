import type { RunningGateway } from '@medport/gateway';
import { postGraphQL } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from './support/eventually.js';
import { startStack, type Stack } from './support/stack.js';

// The center signs access tokens and publishes their keys. While it is down, a gateway or a silo that restarts must
// still check tokens, with the keys it last knew: the other silos keep them in their databases and publish them.

let stack: Stack;
let restartedGateway: RunningGateway | undefined;

const TRIP_BOARD = `{ transportRequests(first: 5) { nodes { id status hospital { name } assignedAgency { name } } } }`;
const OFFER_BOARD = `{ availableTrips(first: 5) { nodes { id status origin { name } } } }`;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await restartedGateway?.stop();
  await stack?.stop();
});

describe('services restarted while the center is down', () => {
  it('keep checking tokens with the keys they last knew, and answer everything but the center\'s fields', async () => {
    const coordinator = await stack.as('coordinator@hospital-1.demo');
    const dispatcher = await stack.as('dispatcher@agency-1.demo');
    // The first checked tokens make every silo read the center's keys and keep a copy.
    expect((await postGraphQL(stack.gatewayUrl, TRIP_BOARD, {}, coordinator)).errors).toBeUndefined();
    expect((await postGraphQL(stack.gatewayUrl, OFFER_BOARD, {}, dispatcher)).errors).toBeUndefined();
    for (const silo of ['hospital', 'ems'] as const) {
      const [copy] = await rows(stack, silo, sql`select jsonb_array_length(jwks->'keys')::int as keys from trusted_signing_keys`);
      expect(copy?.keys).toBeGreaterThan(0);
    }

    await stack.stopSubgraph('center');
    await stack.stopSubgraph('hospital');
    await stack.stopSubgraph('ems');
    await stack.restartSubgraph('hospital');
    await stack.restartSubgraph('ems');
    restartedGateway = await stack.startGateway();

    const board: any = await postGraphQL(restartedGateway.url, TRIP_BOARD, {}, coordinator);
    expect(board.data.transportRequests.nodes.length).toBeGreaterThan(0);
    for (const node of board.data.transportRequests.nodes) expect(node.hospital).toBeNull();
    expect(board.errors.map((error: any) => error.extensions)).toEqual([expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', serviceName: 'center' })]);

    const offers: any = await postGraphQL(restartedGateway.url, OFFER_BOARD, {}, dispatcher);
    expect(offers.errors).toBeUndefined();
    expect(offers.data.availableTrips.nodes.length).toBeGreaterThan(0);

    // A silo checks tokens itself too, not only behind the gateway.
    const direct: any = await postGraphQL(stack.subgraphs.hospital.url, `{ facilities(first: 1) { nodes { id } } }`, {}, coordinator);
    expect(direct.errors).toBeUndefined();
    expect(direct.data.facilities.nodes).toHaveLength(1);

    // A token is still checked, not waved through: a forged one is refused.
    const forged = { authorization: `${coordinator.authorization!.slice(0, -4)}AAAA` };
    const refused: any = await postGraphQL(restartedGateway.url, TRIP_BOARD, {}, forged);
    expect(refused.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    await stack.restartSubgraph('center');
  });
});
