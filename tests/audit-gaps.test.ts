import { REQUEST_ID_SIGNATURE_HEADER, signRequestId } from '@medport/auth';
import { generatedEventsSecret } from '@medport/config';
import { demo } from '@medport/domain';
import { bearer, errorCodes, openLiveConnection, postGraphQL, type LiveConnection } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, rows, sql } from './support/eventually.js';
import { startStack, type Silo, type Stack } from './support/stack.js';
import { offersOf, requestTrip } from './support/trips.js';

// What the audit trail promises, tried the way someone who wants to stay off it would: a request id chosen by the
// caller, refused reads of protected data, and patient data delivered to several live connections at once.

let stack: Stack;
const network = demo.buildDemoNetwork();
const [hospital1, hospital2] = network.hospitals as [demo.DemoHospital, demo.DemoHospital];
const agency1 = network.agencies.find((agency) => agency.slug === 'agency-1')!;
const user = (email: string) => network.users.find((candidate) => candidate.email === email)!;
const completedTripOf = (hospitalId: string) => network.trips.find((trip) => trip.hospitalId === hospitalId && trip.status === 'COMPLETED')!;
const connections: LiveConnection[] = [];

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await Promise.allSettled(connections.map((connection) => connection.dispose()));
  await stack?.stop();
});

const run = async (email: string, query: string, variables: Record<string, unknown> = {}) =>
  postGraphQL<any>(stack.gatewayUrl, query, variables, await stack.as(email));

const auditRowsOf = (silo: Silo, requestId: string) => rows(stack, silo, sql`select * from audit_log where request_id = ${requestId} order by occurred_at`);

const PATIENT_READ = `query Chart($id: ID!) { transportRequest(id: $id) { patientReference } }`;

describe('request ids in the audit trail are the gateway’s', () => {
  it('files the subgraphs’ rows of a request that came through the gateway under the id the gateway gave it', async () => {
    const trip = completedTripOf(hospital1.id);
    const read = await run('coordinator@hospital-1.demo', PATIENT_READ, { id: trip.id });
    expect(read.errors).toBeUndefined();
    const audited = await auditRowsOf('hospital', read.requestId!);
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ action: 'READ_PATIENT_DATA', entity_id: trip.id, actor_id: user('coordinator@hospital-1.demo').id });
  });

  it('does not let a request sent straight to a subgraph file its rows under another request’s id', async () => {
    const trip = completedTripOf(hospital1.id);
    const legitimate = await run('coordinator@hospital-1.demo', PATIENT_READ, { id: trip.id });
    const victimId = legitimate.requestId!;
    expect(await auditRowsOf('hospital', victimId)).toHaveLength(1);

    const headers = await stack.as('coordinator@hospital-2.demo');
    const probes: Record<string, string>[] = [
      { 'x-request-id': victimId },
      { 'x-request-id': victimId, [REQUEST_ID_SIGNATURE_HEADER]: 'c2lnbmVkIGJ5IG5vYm9keQ' },
      // The gateway's signature of the id for the victim's token does not carry over to another token.
      {
        'x-request-id': victimId,
        [REQUEST_ID_SIGNATURE_HEADER]: signRequestId(generatedEventsSecret('memory'), victimId, (await stack.as('coordinator@hospital-1.demo')).authorization),
      },
    ];
    for (const probe of probes) {
      // Not postGraphQL, which signs the request ids it is given, as the gateway does.
      const response = await fetch(stack.subgraphs.hospital.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers, ...probe },
        body: JSON.stringify({ query: PATIENT_READ, variables: { id: trip.id } }),
      });
      expect(JSON.stringify(await response.json())).toContain('NOT_FOUND');
    }

    // The victim's request still has exactly its own row; the probes are on record under ids of their own.
    expect(await auditRowsOf('hospital', victimId)).toHaveLength(1);
    const refused = await rows(
      stack,
      'hospital',
      sql`select request_id from audit_log where actor_id = ${user('coordinator@hospital-2.demo').id} and entity_id = ${trip.id} and outcome = 'DENIED'`,
    );
    expect(refused).toHaveLength(probes.length);
    expect(new Set(refused.map((row) => row.request_id)).size).toBe(probes.length);
    for (const row of refused) expect(row.request_id).not.toBe(victimId);
  });
});

describe('a refused read of protected data leaves a DENIED row', () => {
  const coordinator = user('coordinator@hospital-1.demo');

  /** Runs `query` as hospital 1's coordinator, expects FORBIDDEN, and returns the DENIED rows `silo` filed under its request id. */
  async function refusedAs(silo: Silo, query: string, variables: Record<string, unknown> = {}) {
    const response = await run(coordinator.email, query, variables);
    expect(errorCodes(response), query).toEqual(['FORBIDDEN']);
    const denied = (await auditRowsOf(silo, response.requestId!)).filter((row) => row.outcome === 'DENIED');
    for (const row of denied) expect(row).toMatchObject({ actor_id: coordinator.id, actor_role: 'HOSPITAL_STAFF', tenant_id: hospital1.id });
    return denied;
  }

  it("records a hospital's attempt to read each silo's audit trail, in that silo's trail", async () => {
    for (const [silo, field] of [['hospital', 'hospitalAuditTrail'], ['ems', 'emsAuditTrail'], ['center', 'centerAuditTrail']] as const) {
      const denied = await refusedAs(silo, `query Snoop { ${field}(first: 5) { nodes { action } } }`);
      expect(denied, field).toHaveLength(1);
      expect(denied[0], field).toMatchObject({ action: `READ_${field.replace(/([A-Z])/g, '_$1').toUpperCase()}`, operation_name: 'Snoop' });
    }
  });

  it("records a hospital's attempt to read the network analytics and another tenant's figures", async () => {
    const analytics = await refusedAs('center', `{ analytics(period: WEEK, groupBy: AGENCY) { total { tripCount } } }`);
    expect(analytics).toHaveLength(1);
    expect(analytics[0]).toMatchObject({ action: 'READ_ANALYTICS', entity_type: 'AnalyticsReport' });

    const summary = await refusedAs('center', `{ networkSummary { tripCount } }`);
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatchObject({ action: 'READ_NETWORK_SUMMARY' });

    const performance = await refusedAs('center', `query($id: ID!) { agency(id: $id) { name performance { total { tripCount } } } }`, { id: agency1.id });
    expect(performance).toHaveLength(1);
    expect(performance[0]).toMatchObject({ action: 'READ_AGENCY_PERFORMANCE', entity_type: 'Agency', entity_id: agency1.id });

    const activity = await refusedAs('center', `query($id: ID!) { hospital(id: $id) { activity { total { tripCount } } } }`, { id: hospital2.id });
    expect(activity).toHaveLength(1);
    expect(activity[0]).toMatchObject({ action: 'READ_HOSPITAL_ACTIVITY', entity_type: 'Hospital', entity_id: hospital2.id });
  });

  it("records a hospital's attempt to read agencies' offers, which carry patient data", async () => {
    const offers = await refusedAs('ems', `{ availableTrips { nodes { id specialRequirements } } }`);
    expect(offers).toHaveLength(1);
    expect(offers[0]).toMatchObject({ action: 'READ_AVAILABLE_TRIPS' });
  });

  it("records a hospital's refused subscription to agencies' offers", async () => {
    const connection = openLiveConnection(stack.gatewayUrl, await stack.tokenFor(coordinator.email));
    connections.push(connection);
    const subscription = connection.subscribe(`subscription Eavesdrop { tripOffered { offer { id specialRequirements } } }`);
    const ended: any = await subscription.ended;
    expect(JSON.stringify(ended ?? subscription.results)).toContain('FORBIDDEN');
    const denied = await eventually(async () => {
      const found = await rows(
        stack,
        'ems',
        sql`select * from audit_log where actor_id = ${coordinator.id} and action = 'SUBSCRIBE_TRIP_OFFERED' and outcome = 'DENIED'`,
      );
      expect(found).toHaveLength(1);
      return found;
    });
    expect(denied[0]).toMatchObject({ operation_name: 'Eavesdrop', tenant_id: hospital1.id });
  });

  it("records a hospital's attempt to download the analytics as CSV", async () => {
    const csv = await fetch(`${stack.subgraphs.center.url.replace('/graphql', '/analytics.csv')}?period=WEEK`, { headers: bearer(await stack.tokenFor(coordinator.email)) });
    expect(csv.status).toBe(403);
    const denied = await rows(stack, 'center', sql`select * from audit_log where actor_id = ${coordinator.id} and action = 'READ_ANALYTICS' and outcome = 'DENIED' and details->>'format' = 'csv'`);
    expect(denied).toHaveLength(1);
  });
});

describe('patient data delivered live: one row per delivery to each connection', () => {
  /** Opens a connection as `email` and subscribes; resolves once the gateway holds one more subscriber, listening upstream. */
  async function subscribe(email: string, query: string) {
    const before = stack.gateway.subscriptionStats().subscribers;
    const connection = openLiveConnection(stack.gatewayUrl, await stack.tokenFor(email));
    connections.push(connection);
    const subscription = connection.subscribe(query);
    await eventually(async () => {
      const stats = stack.gateway.subscriptionStats();
      expect(stats.subscribers).toBe(before + 1);
      expect(stack.subgraphs.hospital.live.listenerCount + stack.subgraphs.ems.live.listenerCount).toBe(stats.upstreams);
    });
    return subscription;
  }

  const about = (subscription: { results: any[] }, root: string, path: (data: any) => string, tripId: string) =>
    eventually(async () => {
      const found = subscription.results.filter((result) => result.data && path(result.data[root]) === tripId);
      expect(found.length).toBeGreaterThan(0);
      return found;
    });

  it("audits a trip's patient reference once for each of one person's two connections that received it", async () => {
    const coordinator = user('coordinator@hospital-1.demo');
    const WARD = `subscription Ward { tripStatusChanged { status transportRequest { id patientReference } } }`;
    const screens = [await subscribe(coordinator.email, WARD), await subscribe(coordinator.email, WARD)];
    const tripId = await requestTrip(stack.gatewayUrl, await stack.as(coordinator.email));
    for (const screen of screens) {
      const [delivered] = await about(screen, 'tripStatusChanged', (change) => change.transportRequest.id, tripId);
      expect(delivered!.data!.tripStatusChanged.transportRequest.patientReference).toMatch(/^MRN-/);
    }
    await eventually(async () => {
      const reads = await rows(
        stack,
        'hospital',
        sql`select operation_name, request_id from audit_log where action = 'READ_PATIENT_DATA' and entity_id = ${tripId} and actor_id = ${coordinator.id} and outcome = 'ALLOWED'`,
      );
      expect(reads).toHaveLength(2);
      expect(reads.map((read) => read.operation_name)).toEqual(['Ward', 'Ward']);
      expect(new Set(reads.map((read) => read.request_id)).size).toBe(2);
    });
  });

  it("audits an offer's special requirements once for each of one dispatcher's two connections", async () => {
    const dispatcher = user('dispatcher@agency-1.demo');
    const OFFERS = `subscription Dispatch { tripOffered { change offer { id specialRequirements } } }`;
    const screens = [await subscribe(dispatcher.email, OFFERS), await subscribe(dispatcher.email, OFFERS)];
    const tripId = await requestTrip(stack.gatewayUrl, await stack.as('coordinator@hospital-1.demo'));
    expect((await offersOf(stack, tripId)).map((offer) => offer.agency_id)).toContain(agency1.id);
    for (const screen of screens) await about(screen, 'tripOffered', (change) => change.offer.id, tripId);
    await eventually(async () => {
      const reads = await rows(
        stack,
        'ems',
        sql`select operation_name from audit_log where action = 'READ_PATIENT_DATA' and entity_id = ${tripId} and actor_id = ${dispatcher.id} and outcome = 'ALLOWED'`,
      );
      expect(reads).toHaveLength(2);
    });
  });
});
