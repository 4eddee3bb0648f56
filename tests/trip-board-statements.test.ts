import { postGraphQL } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRIP_BOARD } from '../bench/operations.js';
import { startStack, type Silo, type Stack } from './support/stack.js';

/**
 * The benchmark's trip board (bench/gateways.ts) over a demo network of 600 trips: the SQL each silo runs for
 * one board must not grow with the page, or a dispatcher's 500-trip board would cost a hundred times a 5-trip one.
 */
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ env: { DEMO_TRIPS: '600' } });
});

afterAll(async () => {
  await stack?.stop();
});

async function statementsOf(query: string, variables: Record<string, unknown>) {
  // Signed in before counting, so that only the query's own statements are counted.
  const headers = await stack.as();
  for (const log of Object.values(stack.statements)) log.clear();
  const response: any = await postGraphQL(stack.gatewayUrl, query, variables, headers);
  expect(response.errors).toBeUndefined();
  const count = (silo: Silo) => stack.statements[silo].statements.length;
  return { response, statements: { hospital: count('hospital'), ems: count('ems'), center: count('center') } };
}

describe('SQL statements per request', () => {
  it('stay the same for a trip board of 10, 50 or 500 trips', async () => {
    const sizes = [10, 50, 500];
    // A first answer fills what outlives a request (the center's signing keys), so the boards compared count only their own.
    await statementsOf(TRIP_BOARD, { first: 1 });
    const measured = [];
    for (const first of sizes) {
      const { response, statements } = await statementsOf(TRIP_BOARD, { first });
      const nodes = response.data.transportRequests.nodes;
      expect(nodes).toHaveLength(first);
      // The cross-silo fields are really there, so the counts below are of a board that needed all three silos.
      expect(nodes.filter((trip: any) => trip.assignedAgency?.name && trip.assignedUnit?.unitNumber).length).toBeGreaterThan(first / 4);
      expect(nodes.some((trip: any) => trip.responses.some((response: any) => response.agency.name))).toBe(true);
      expect(nodes.every((trip: any) => trip.hospital.name && trip.origin.name && trip.destination.name)).toBe(true);
      measured.push(statements);
    }
    expect(measured[1]).toEqual(measured[0]);
    expect(measured[2]).toEqual(measured[0]);
    expect(measured[0]!.hospital + measured[0]!.ems + measured[0]!.center).toBeLessThanOrEqual(8);
  });
});
