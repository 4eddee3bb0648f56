import { randomUUID } from 'node:crypto';
import { loadSubgraphConfig } from '@medport/config';
import { demo, stableId, type EventType, type TransportStatus } from '@medport/domain';
import type { ConsumerDefinition, TypedEvent } from '@medport/events';
import { startSubgraph, type RunningSubgraph } from '@medport/server';
import { bearer, createTestDatabase, postGraphQL, type TestDatabase } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { centerSubgraph, type CenterDatabase } from '../src/index.js';
import type { TripFactRow } from '../src/modules/analytics/analytics.table.js';
import { deliverEvents, fromEms, fromHospital, tripEventBuilders } from './support/trip-events.js';

let database: TestDatabase;
let center: RunningSubgraph<CenterDatabase>;
let analystToken: string;

beforeAll(async () => {
  database = await createTestDatabase('center');
  const config = loadSubgraphConfig('center', 0, { ...database.env, HOST: '127.0.0.1', LOG_LEVEL: 'silent', SEED_DEMO_DATA: 'true' });
  center = await startSubgraph(centerSubgraph, config);
  const signedIn = await postGraphQL<{ login: { accessToken: string } }>(
    center.url,
    `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }`,
    { email: 'analyst@center.demo', password: demo.DEMO_PASSWORD },
  );
  expect(signedIn.errors).toBeUndefined();
  analystToken = signedIn.data!.login.accessToken;
});

afterAll(async () => {
  await center?.stop();
  await database?.drop();
});

const deliver = (definition: ConsumerDefinition<CenterDatabase>, ...events: TypedEvent<EventType>[]) => deliverEvents(center.database.db, definition, ...events);

const factOf = (tripId: string): Promise<TripFactRow | undefined> =>
  center.database.db.selectFrom('trip_facts').selectAll().where('trip_id', '=', tripId).executeTakeFirst();

async function requireFact(tripId: string): Promise<TripFactRow> {
  const fact = await factOf(tripId);
  expect(fact, tripId).toBeDefined();
  return fact!;
}

const HOSPITAL = stableId('hospital-1');
const AGENCY = stableId('agency-1');
const OTHER_AGENCY = stableId('agency-2');
const THIRD_AGENCY = stableId('agency-3');
const REQUESTED_AT = new Date('2025-03-01T08:00:00.000Z');
const { at, tripRequested, statusChanged, planChanged, tripOffered, tripResponded } = tripEventBuilders({
  hospitalId: HOSPITAL,
  agencyId: AGENCY,
  requestedAt: REQUESTED_AT,
});

/** The lifecycle of a completed trip, one milestone after another. */
const FULL_LIFECYCLE: [TransportStatus, number][] = [
  ['ACCEPTED', 5],
  ['ASSIGNED', 8],
  ['EN_ROUTE', 10],
  ['AT_PICKUP', 30],
  ['TRANSPORTING', 45],
  ['AT_DESTINATION', 80],
  ['COMPLETED', 95],
];

/** The fact without its bookkeeping time, to compare what it says before and after an event. */
const contentOf = ({ updated_at: _, ...fact }: TripFactRow) => fact;

describe('trip facts from the hospital feed', () => {
  it('records a requested trip as a complete fact at REQUESTED with its plan', async () => {
    const tripId = randomUUID();
    await deliver(fromHospital, tripRequested(tripId));
    expect(await requireFact(tripId)).toMatchObject({
      hospital_id: HOSPITAL,
      agency_id: null,
      status: 'REQUESTED',
      transport_level: 'ALS',
      priority: 'ROUTINE',
      requested_at: REQUESTED_AT,
      scheduled_pickup_at: at(120),
      plan_version: 1,
      accepted_at: null,
      response_count: 0,
      offered_count: 0,
    });
  });

  it('stamps every milestone of a full lifecycle and ends COMPLETED with the accepting agency', async () => {
    const tripId = randomUUID();
    await deliver(fromHospital, tripRequested(tripId), ...FULL_LIFECYCLE.map(([status, minutes]) => statusChanged(tripId, status, at(minutes))));
    expect(await requireFact(tripId)).toMatchObject({
      status: 'COMPLETED',
      agency_id: AGENCY,
      requested_at: REQUESTED_AT,
      accepted_at: at(5),
      assigned_at: at(8),
      en_route_at: at(10),
      at_pickup_at: at(30),
      picked_up_at: at(45),
      at_destination_at: at(80),
      completed_at: at(95),
      cancelled_at: null,
      expired_at: null,
      cancellation_reason: null,
    });
  });

  it('applies each event in its own transaction just as in one batch', async () => {
    const tripId = randomUUID();
    await deliver(fromHospital, tripRequested(tripId));
    for (const [status, minutes] of FULL_LIFECYCLE) await deliver(fromHospital, statusChanged(tripId, status, at(minutes)));
    expect(await requireFact(tripId)).toMatchObject({ status: 'COMPLETED', accepted_at: at(5), completed_at: at(95) });
  });

  it('changes nothing when an event is repeated', async () => {
    const tripId = randomUUID();
    const requested = tripRequested(tripId);
    const accepted = statusChanged(tripId, 'ACCEPTED', at(5));
    await deliver(fromHospital, requested, accepted);
    const before = contentOf(await requireFact(tripId));
    // The consumer's inbox skips a redelivered event; an event repeated under a new id must not count twice either.
    await deliver(fromHospital, { ...requested, id: randomUUID() }, { ...accepted, id: randomUUID() }, statusChanged(tripId, 'ACCEPTED', at(7)));
    expect(contentOf(await requireFact(tripId))).toEqual(before);
  });

  it('never moves a fact backwards when an earlier status arrives after a later one', async () => {
    const tripId = randomUUID();
    await deliver(fromHospital, tripRequested(tripId), statusChanged(tripId, 'ACCEPTED', at(5)), statusChanged(tripId, 'EN_ROUTE', at(10)));
    await deliver(fromHospital, statusChanged(tripId, 'ACCEPTED', at(12), { agencyId: OTHER_AGENCY }));
    expect(await requireFact(tripId)).toMatchObject({ status: 'EN_ROUTE', accepted_at: at(5), agency_id: AGENCY });
  });

  it('stamps a milestone that arrives late without moving the status back', async () => {
    const tripId = randomUUID();
    await deliver(fromHospital, tripRequested(tripId), statusChanged(tripId, 'ACCEPTED', at(5)), statusChanged(tripId, 'EN_ROUTE', at(10)));
    await deliver(fromHospital, statusChanged(tripId, 'ASSIGNED', at(8)));
    expect(await requireFact(tripId)).toMatchObject({ status: 'EN_ROUTE', assigned_at: at(8), en_route_at: at(10) });
  });

  it('records the reason and party of a cancellation', async () => {
    const tripId = randomUUID();
    await deliver(
      fromHospital,
      tripRequested(tripId),
      statusChanged(tripId, 'ACCEPTED', at(5)),
      statusChanged(tripId, 'CANCELLED', at(9), { previousStatus: 'ACCEPTED', cancellation: { reason: 'PATIENT_DISCHARGED', party: 'HOSPITAL' } }),
    );
    expect(await requireFact(tripId)).toMatchObject({
      status: 'CANCELLED',
      cancelled_at: at(9),
      cancellation_reason: 'PATIENT_DISCHARGED',
      cancellation_party: 'HOSPITAL',
      accepted_at: at(5),
    });
  });

  it('never leaves a terminal status, though a late milestone is still stamped', async () => {
    const tripId = randomUUID();
    const cancellation = { reason: 'DESTINATION_UNAVAILABLE', party: 'EMS' } as const;
    await deliver(fromHospital, tripRequested(tripId), statusChanged(tripId, 'CANCELLED', at(20), { previousStatus: 'EN_ROUTE', cancellation }));
    await deliver(fromHospital, statusChanged(tripId, 'ACCEPTED', at(5)), statusChanged(tripId, 'EN_ROUTE', at(15)));
    expect(await requireFact(tripId)).toMatchObject({
      status: 'CANCELLED',
      cancellation_reason: 'DESTINATION_UNAVAILABLE',
      cancellation_party: 'EMS',
      accepted_at: at(5),
      en_route_at: at(15),
    });

    const expired = randomUUID();
    await deliver(fromHospital, tripRequested(expired), statusChanged(expired, 'EXPIRED', at(60)), statusChanged(expired, 'ACCEPTED', at(61)));
    expect(await requireFact(expired)).toMatchObject({ status: 'EXPIRED', expired_at: at(60) });
  });

  it('follows the hospital when it withdraws a cancellation the crew overtook with the patient on board', async () => {
    const tripId = randomUUID();
    const cancellation = { reason: 'SCHEDULING_CHANGE', party: 'HOSPITAL' } as const;
    await deliver(
      fromHospital,
      tripRequested(tripId),
      statusChanged(tripId, 'AT_PICKUP', at(20)),
      statusChanged(tripId, 'CANCELLED', at(25), { previousStatus: 'AT_PICKUP', cancellation }),
      statusChanged(tripId, 'TRANSPORTING', at(24), { previousStatus: 'CANCELLED' }),
    );
    expect(await requireFact(tripId)).toMatchObject({
      status: 'TRANSPORTING',
      picked_up_at: at(24),
      cancelled_at: null,
      cancellation_reason: null,
      cancellation_party: null,
    });
  });

  it('ignores a cancellation that arrives after the patient was on board, as the feed may deliver it late', async () => {
    const tripId = randomUUID();
    const cancellation = { reason: 'SCHEDULING_CHANGE', party: 'HOSPITAL' } as const;
    await deliver(
      fromHospital,
      tripRequested(tripId),
      statusChanged(tripId, 'TRANSPORTING', at(24)),
      statusChanged(tripId, 'CANCELLED', at(25), { previousStatus: 'AT_PICKUP', cancellation }),
    );
    expect(await requireFact(tripId)).toMatchObject({ status: 'TRANSPORTING', cancelled_at: null, cancellation_reason: null, cancellation_party: null });
  });

  it('takes a plan change only when its version is newer than the plan the fact holds', async () => {
    const tripId = randomUUID();
    await deliver(fromHospital, tripRequested(tripId), planChanged(tripId, 3, { transportLevel: 'CCT', priority: 'EMERGENT', scheduledPickupAt: null }));
    await deliver(fromHospital, planChanged(tripId, 2, { transportLevel: 'BLS', priority: 'URGENT', scheduledPickupAt: at(30).toISOString() }));
    expect(await requireFact(tripId)).toMatchObject({ transport_level: 'CCT', priority: 'EMERGENT', scheduled_pickup_at: null, plan_version: 3 });
    await deliver(fromHospital, planChanged(tripId, 4, { transportLevel: 'BLS', priority: 'URGENT', scheduledPickupAt: at(30).toISOString() }));
    expect(await requireFact(tripId)).toMatchObject({ transport_level: 'BLS', priority: 'URGENT', scheduled_pickup_at: at(30), plan_version: 4 });
  });
});

describe('trip facts from the ems feed', () => {
  it('counts responses, and declines among them', async () => {
    const tripId = randomUUID();
    await deliver(fromHospital, tripRequested(tripId));
    await deliver(fromEms, tripResponded(tripId, OTHER_AGENCY, 'DECLINED', at(3)), tripResponded(tripId, AGENCY, 'ACCEPTED', at(5)));
    expect(await requireFact(tripId)).toMatchObject({ response_count: 2, decline_count: 1 });
  });

  it('counts each agency a trip is offered to once, from its first offer', async () => {
    const tripId = randomUUID();
    await deliver(fromHospital, tripRequested(tripId));
    await deliver(fromEms, tripOffered(tripId, [AGENCY, OTHER_AGENCY], at(1)), tripOffered(tripId, [OTHER_AGENCY, THIRD_AGENCY], at(20)));
    const fact = await requireFact(tripId);
    expect(fact).toMatchObject({ offered_count: 3, offered_at: at(1) });
    expect(fact.offered_agency_ids).toEqual([AGENCY, OTHER_AGENCY, THIRD_AGENCY]);
  });

  it('records a trip offered to nobody as offered to no agency, with no offer time', async () => {
    const tripId = randomUUID();
    await deliver(fromHospital, tripRequested(tripId));
    await deliver(fromEms, tripOffered(tripId, [], at(1)));
    const fact = await requireFact(tripId);
    expect(fact).toMatchObject({ offered_count: 0, offered_at: null });
    expect(fact.offered_agency_ids).toEqual([]);
  });
});

describe('events that overtake TripRequested', () => {
  it('keeps offers and responses that arrive before the trip, and TripRequested completes the fact without losing them', async () => {
    const tripId = randomUUID();
    await deliver(fromEms, tripOffered(tripId, [AGENCY, OTHER_AGENCY], at(1)), tripResponded(tripId, OTHER_AGENCY, 'DECLINED', at(2)));
    await deliver(fromEms, tripResponded(tripId, AGENCY, 'ACCEPTED', at(4)));
    expect(await requireFact(tripId)).toMatchObject({ requested_at: null, transport_level: null, status: 'REQUESTED', response_count: 2, decline_count: 1, offered_count: 2 });

    await deliver(fromHospital, tripRequested(tripId));
    expect(await requireFact(tripId)).toMatchObject({
      hospital_id: HOSPITAL,
      requested_at: REQUESTED_AT,
      transport_level: 'ALS',
      priority: 'ROUTINE',
      plan_version: 1,
      status: 'REQUESTED',
      response_count: 2,
      decline_count: 1,
      offered_count: 2,
      offered_at: at(1),
    });
  });

  it('keeps a status and a newer plan that arrive before the trip, and TripRequested fills in only what they left open', async () => {
    const tripId = randomUUID();
    await deliver(fromHospital, statusChanged(tripId, 'ACCEPTED', at(5)), planChanged(tripId, 2, { transportLevel: 'CCT', priority: 'URGENT', scheduledPickupAt: null }));
    await deliver(fromHospital, tripRequested(tripId));
    expect(await requireFact(tripId)).toMatchObject({
      status: 'ACCEPTED',
      accepted_at: at(5),
      agency_id: AGENCY,
      requested_at: REQUESTED_AT,
      transport_level: 'CCT',
      priority: 'URGENT',
      scheduled_pickup_at: null,
      plan_version: 2,
    });
  });

  it('loses no count when both feeds change one trip at the same time', async () => {
    const tripId = randomUUID();
    const responses = Array.from({ length: 8 }, (_, index) => tripResponded(tripId, randomUUID(), index % 2 === 0 ? 'DECLINED' : 'ACCEPTED', at(index + 1)));
    await Promise.all([
      deliver(fromHospital, tripRequested(tripId)),
      deliver(fromEms, tripOffered(tripId, [AGENCY, OTHER_AGENCY, THIRD_AGENCY], at(1))),
      ...responses.map((response) => deliver(fromEms, response)),
    ]);
    expect(await requireFact(tripId)).toMatchObject({ requested_at: REQUESTED_AT, response_count: 8, decline_count: 4, offered_count: 3 });
  });
});

describe('networkSummary on the facts', () => {
  interface Summary {
    networkSummary: { tripCount: number; byStatus: { status: TransportStatus; count: number }[] };
  }
  const summary = async () => {
    const response = await postGraphQL<Summary>(
      center.url,
      `query($requested: TimeRangeInput) { networkSummary(requested: $requested) { tripCount byStatus { status count } } }`,
      { requested: { from: at(-1).toISOString(), to: at(1).toISOString() } },
      bearer(analystToken),
    );
    expect(response.errors).toBeUndefined();
    const byStatus = Object.fromEntries(response.data!.networkSummary.byStatus.map((entry) => [entry.status, entry.count]));
    return { tripCount: response.data!.networkSummary.tripCount, byStatus };
  };

  it('counts complete facts by status, and a partial fact only once its TripRequested arrives', async () => {
    const before = await summary();
    const partial = randomUUID();
    await deliver(fromEms, tripResponded(partial, AGENCY, 'DECLINED', at(2)));
    expect(await summary()).toEqual(before);

    await deliver(fromHospital, tripRequested(partial));
    const completed = randomUUID();
    await deliver(fromHospital, tripRequested(completed), ...FULL_LIFECYCLE.map(([status, minutes]) => statusChanged(completed, status, at(minutes))));
    const after = await summary();
    expect(after.tripCount).toBe(before.tripCount + 2);
    expect(after.byStatus.REQUESTED).toBe(before.byStatus.REQUESTED! + 1);
    expect(after.byStatus.COMPLETED).toBe(before.byStatus.COMPLETED! + 1);
  });
});
