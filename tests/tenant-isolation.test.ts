import { randomUUID } from 'node:crypto';
import { demo } from '@medport/domain';
import { errorCodes, postGraphQL } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './support/stack.js';

let stack: Stack;
const network = demo.buildDemoNetwork();
const [hospital1, hospital2] = network.hospitals;
const [agency1, agency2] = network.agencies;
const user = (email: string) => network.users.find((candidate) => candidate.email === email)!;
const tripOf = (hospitalId: string, status = 'COMPLETED') => network.trips.find((trip) => trip.hospitalId === hospitalId && trip.status === status)!;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

const as = async (email: string, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  postGraphQL(stack.gatewayUrl, query, variables, { ...(await stack.as(email)), ...headers });

const auditRows = (requestId: string) =>
  (stack.subgraphs.hospital.database.db as any).selectFrom('audit_log').selectAll().where('request_id', '=', requestId).execute();

describe('tenant isolation through the gateway', () => {
  it("keeps a hospital away from another hospital's trips, however it asks", async () => {
    const theirs = tripOf(hospital1!.id);
    const ours = tripOf(hospital2!.id);
    const coordinator = 'coordinator@hospital-2.demo';

    const byId: any = await as(coordinator, `query($id: ID!) { transportRequest(id: $id) { id patientReference } }`, { id: theirs.id });
    expect(errorCodes(byId)).toEqual(['NOT_FOUND']);
    expect(byId.data?.transportRequest ?? null).toBeNull();

    const filtered: any = await as(coordinator, `query($h: ID!) { transportRequests(first: 200, filter: { hospitalId: $h }) { nodes { id } } }`, { h: hospital1!.id });
    expect(filtered.data.transportRequests.nodes).toEqual([]);

    const all: any = await as(coordinator, `{ transportRequests(first: 200) { nodes { hospital { id } } } }`);
    expect(all.data.transportRequests.nodes.length).toBeGreaterThan(0);
    expect(new Set(all.data.transportRequests.nodes.map((node: any) => node.hospital.id))).toEqual(new Set([hospital2!.id]));

    const sneaky: any = await as(
      coordinator,
      `query Sneaky($theirs: ID!, $ours: ID!) { a: transportRequest(id: $theirs) { ...Patient } b: transportRequest(id: $ours) { ...Patient } }
       fragment Patient on TransportRequest { id patientReference }`,
      { theirs: theirs.id, ours: ours.id },
    );
    expect(sneaky.data.a).toBeNull();
    expect(sneaky.data.b).toEqual({ id: ours.id, patientReference: ours.patientReference });
    expect(errorCodes(sneaky)).toEqual(['NOT_FOUND']);
  });

  it('shows an agency only the trips assigned to it, and patient details only then', async () => {
    const dispatcher = 'dispatcher@agency-1.demo';
    const all: any = await as(dispatcher, `{ transportRequests(first: 200) { nodes { assignedAgency { id } patientReference } } }`);
    const expected = network.trips.filter((trip) => trip.assignedAgencyId === agency1!.id).length;
    expect(all.data.transportRequests.nodes).toHaveLength(Math.min(200, expected));
    expect(new Set(all.data.transportRequests.nodes.map((node: any) => node.assignedAgency.id))).toEqual(new Set([agency1!.id]));

    const unassigned = network.trips.find((trip) => trip.status === 'REQUESTED')!;
    const assignedElsewhere = network.trips.find((trip) => trip.assignedAgencyId === agency2!.id)!;
    for (const trip of [unassigned, assignedElsewhere]) {
      const response: any = await as(dispatcher, `query($id: ID!) { transportRequest(id: $id) { patientReference } }`, { id: trip.id });
      expect(errorCodes(response), trip.status).toEqual(['NOT_FOUND']);
    }
  });

  it('audits each allowed patient-data read exactly once, with every field, and each refusal', async () => {
    const trip = tripOf(hospital1!.id);
    const coordinator = user('coordinator@hospital-1.demo');
    const read: any = await as(
      coordinator.email,
      `query ReadTrip($id: ID!) { a: transportRequest(id: $id) { patientReference } b: transportRequest(id: $id) { notes specialRequirements } }`,
      { id: trip.id },
      // The gateway names the request itself; a client-sent id is not trusted.
      { 'x-request-id': `client-chosen-${randomUUID()}` },
    );
    expect(read.errors).toBeUndefined();
    const requestId = read.requestId;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const rows = await auditRows(requestId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor_id: coordinator.id,
      actor_role: 'HOSPITAL_STAFF',
      tenant_id: hospital1!.id,
      action: 'READ_PATIENT_DATA',
      entity_type: 'TransportRequest',
      entity_id: trip.id,
      operation_name: 'ReadTrip',
      request_id: requestId,
      outcome: 'ALLOWED',
    });
    expect(rows[0].occurred_at).toBeInstanceOf(Date);

    const peek = await as('coordinator@hospital-2.demo', `query Peek($id: ID!) { transportRequest(id: $id) { patientReference } }`, { id: trip.id });
    const denied = await auditRows(peek.requestId!);
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ entity_id: trip.id, outcome: 'DENIED', operation_name: 'Peek', actor_id: user('coordinator@hospital-2.demo').id });
  });

  it("lets center administrators read each silo's audit trail through the gateway, and nobody else", async () => {
    const query = `{ hospitalAuditTrail(first: 3) { nodes { action outcome } } emsAuditTrail(first: 3) { nodes { action } } centerAuditTrail(first: 3) { nodes { action } } }`;
    const admin: any = await as('admin@center.demo', query);
    expect(admin.errors).toBeUndefined();
    expect(admin.data.centerAuditTrail.nodes.length).toBeGreaterThan(0);
    for (const email of ['analyst@center.demo', 'coordinator@hospital-1.demo', 'dispatcher@agency-1.demo']) {
      const refused = await as(email, `{ hospitalAuditTrail(first: 1) { nodes { action } } }`);
      expect(errorCodes(refused), email).toEqual(['FORBIDDEN']);
    }
  });
});
