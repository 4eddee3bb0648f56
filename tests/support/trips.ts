import { demo } from '@medport/domain';
import { postGraphQL } from '@medport/testing';
import { expect } from 'vitest';
import { eventually, rows, sql } from './eventually.js';
import type { Stack } from './stack.js';

const network = demo.buildDemoNetwork();

export interface TripRequest {
  /** The requesting hospital (the caller must work for it): hospital 1 by default. */
  hospitalId?: string;
  level?: string;
  priority?: string;
}

/**
 * Requests a transport through a gateway as the caller of `headers`, from the hospital's first facility to its second,
 * with a fresh patient reference; fails the test when the request is refused. Returns the trip's id.
 */
export async function requestTrip(gatewayUrl: string, headers: Record<string, string>, request: TripRequest = {}): Promise<string> {
  const hospitalId = request.hospitalId ?? network.hospitals[0]!.id;
  const [origin, destination] = network.facilities.filter((facility) => facility.hospitalId === hospitalId);
  const response = await postGraphQL<any>(
    gatewayUrl,
    `mutation($input: CreateTransportRequestInput!) { createTransportRequest(input: $input) { id } }`,
    {
      input: {
        originFacilityId: origin!.id,
        destinationFacilityId: destination!.id,
        patientReference: `MRN-${Math.random().toString(36).slice(2, 10)}`,
        transportLevel: request.level ?? 'BLS',
        priority: request.priority ?? 'URGENT',
      },
    },
    headers,
  );
  expect(response.errors).toBeUndefined();
  return response.data.createTransportRequest.id;
}

/** The trip's offers (agency and answer) once ems has made them, so agencies can answer it. */
export const offersOf = (stack: Stack, tripId: string) =>
  eventually(async () => {
    const offers = await rows<{ agency_id: string; status: string }>(stack, 'ems', sql`select agency_id, status from trip_responses where trip_id = ${tripId}`);
    expect(offers.length).toBeGreaterThan(0);
    return offers;
  });
