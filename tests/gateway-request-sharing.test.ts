import { demo } from '@medport/domain';
import { postGraphQL } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from './support/eventually.js';
import { startStack, type Stack } from './support/stack.js';

/**
 * The gateway sends identical subgraph queries in flight once (SubgraphDataSource). These tests fire identical
 * operations at the same moment and check what must never be shared: another caller's answer, a write, or a read
 * the hospital audits per request (patient data, a trip looked up by id).
 */
let stack: Stack;
const network = demo.buildDemoNetwork();

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

const TRIP_BOARD = `query TripBoard { transportRequests(first: 30) { nodes { id status hospital { id name } origin { name } assignedAgency { name } } } }`;
const together = <T>(count: number, send: (index: number) => Promise<T>) => Promise.all(Array.from({ length: count }, (_, index) => send(index)));

describe('identical subgraph queries in flight', () => {
  it('are sent once for one caller, and every request gets the whole answer', async () => {
    const headers = await stack.as();
    const alone: any = await postGraphQL(stack.gatewayUrl, TRIP_BOARD, {}, headers);
    expect(alone.errors).toBeUndefined();
    stack.statements.hospital.clear();
    const sharedBefore = stack.gateway.sharedSubgraphRequests();

    const answers: any[] = await together(12, () => postGraphQL(stack.gatewayUrl, TRIP_BOARD, {}, headers));

    for (const answer of answers) expect(answer.data).toEqual(alone.data);
    const pageReads = stack.statements.hospital.statements.filter((statement) => statement.includes('listTransportRequests')).length;
    expect(pageReads).toBeLessThan(12);
    expect(stack.gateway.sharedSubgraphRequests().hospital! - sharedBefore.hospital!).toBe(12 - pageReads);
  });

  it('are never shared between callers: each hospital still sees only its own trips', async () => {
    const [first, second] = network.hospitals;
    const [firstHeaders, secondHeaders] = [await stack.as('coordinator@hospital-1.demo'), await stack.as('coordinator@hospital-2.demo')];
    const answers: any[] = await together(16, (index) => postGraphQL(stack.gatewayUrl, TRIP_BOARD, {}, index % 2 ? secondHeaders : firstHeaders));

    answers.forEach((answer, index) => {
      expect(answer.errors).toBeUndefined();
      const own = index % 2 ? second! : first!;
      expect(answer.data.transportRequests.nodes.length).toBeGreaterThan(0);
      for (const trip of answer.data.transportRequests.nodes) expect(trip.hospital).toEqual({ id: own.id, name: own.name });
    });
  });

  it('are never writes: identical mutations at once each create their trip', async () => {
    const headers = await stack.as('coordinator@hospital-1.demo');
    const [origin, destination] = network.facilities.filter((facility) => facility.hospitalId === network.hospitals[0]!.id);
    const create = `mutation($input: CreateTransportRequestInput!) { createTransportRequest(input: $input) { id status } }`;
    const input = { originFacilityId: origin!.id, destinationFacilityId: destination!.id, patientReference: 'MRN-SAME-1', transportLevel: 'BLS', priority: 'ROUTINE' };

    const answers: any[] = await together(6, () => postGraphQL(stack.gatewayUrl, create, { input }, headers));

    for (const answer of answers) expect(answer.errors).toBeUndefined();
    expect(new Set(answers.map((answer) => answer.data.createTransportRequest.id)).size).toBe(6);
  });

  it('are never reads of patient data: each request is audited on its own', async () => {
    const headers = await stack.as('coordinator@hospital-1.demo');
    const trip = network.trips.find((candidate) => candidate.hospitalId === network.hospitals[0]!.id)!;
    const query = `query PatientOfTrip($id: ID!) { transportRequest(id: $id) { id patientReference assignedAgency { name } } }`;

    const answers: any[] = await together(8, () => postGraphQL(stack.gatewayUrl, query, { id: trip.id }, headers));

    for (const answer of answers) expect(answer.data.transportRequest.patientReference).toBe(trip.patientReference);
    const audited = await rows(
      stack,
      'hospital',
      sql`select distinct request_id from audit_log where action = 'READ_PATIENT_DATA' and entity_id = ${trip.id} and operation_name = 'PatientOfTrip'`,
    );
    expect(audited).toHaveLength(8);
  });

  it('are never lookups of a trip by id: each refused probe of a trip of another hospital is on record', async () => {
    const headers = await stack.as('coordinator@hospital-2.demo');
    const trip = network.trips.find((candidate) => candidate.hospitalId === network.hospitals[0]!.id)!;
    const query = `query ProbeTrip($id: ID!) { transportRequest(id: $id) { id status } }`;

    const answers: any[] = await together(8, () => postGraphQL(stack.gatewayUrl, query, { id: trip.id }, headers));

    for (const answer of answers) expect(answer.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const refused = await rows(
      stack,
      'hospital',
      sql`select distinct request_id from audit_log where action = 'READ_PATIENT_DATA' and entity_id = ${trip.id} and outcome = 'DENIED' and operation_name = 'ProbeTrip'`,
    );
    expect(refused).toHaveLength(8);
  });
});
