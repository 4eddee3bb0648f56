import { newId } from '@medport/domain';
import { errorCodes, type GraphQLResponse } from '@medport/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emsConsumers } from '../src/events.js';
import { startTestEms, type DemoEmail, type TestEms } from './ems-service.js';
import {
  accept,
  applyEvent,
  eventOf,
  freshPlace,
  minutesFromNow,
  north,
  outbox,
  registerAgency,
  registration,
  requestTrip,
  RESPOND,
  staffOf,
  tripRequest,
  tripState,
} from './workflow-support.js';

let service: TestEms;
const db = () => service.ems.database.db;
const fields = (response: GraphQLResponse<unknown>) => (response.errors ?? []).map((error) => error.extensions?.field);

beforeAll(async () => {
  service = await startTestEms();
});

afterAll(async () => {
  await service?.stop();
});

const AVAILABLE = `query Available($first: Int, $after: String) {
  availableTrips(first: $first, after: $after) {
    edges { cursor node { id } }
    nodes {
      id trip { id } hospital { id } origin { id } destination { id } transportLevel priority specialRequirements
      requestedAt scheduledPickupAt responseDeadline status response { status agency { id } }
    }
    pageInfo { hasNextPage endCursor }
  }
}`;

type OfferPage = {
  availableTrips: {
    edges: { cursor: string; node: { id: string } }[];
    nodes: { id: string; status: string; responseDeadline: string; response: { status: string; agency: { id: string } } | null }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
};

const offeredIds = async (viewer: ReturnType<typeof staffOf>) => {
  const response = await service.asViewer<OfferPage>(viewer, AVAILABLE, { first: 200 });
  expect(response.errors).toBeUndefined();
  return response.data!.availableTrips.nodes.map((offer) => offer.id);
};

describe('offering trips (TripRequested)', () => {
  it("offers a new trip to the hospital's preferred agencies in its order, then to agencies covering the pickup, nearest first", async () => {
    const origin = freshPlace();
    const covering = (km: number, radiusKm = 30) => ({ ...north(origin, km), radiusKm });
    const preferredActive = await registerAgency(db());
    const preferredAlsoNearby = await registerAgency(db(), { area: covering(1) });
    const preferredSuspended = await registerAgency(db(), { status: 'SUSPENDED' });
    const preferredPending = await registerAgency(db(), { status: 'PENDING' });
    const preferredIncapable = await registerAgency(db(), { levels: ['WHEELCHAIR_VAN'] });
    const near = await registerAgency(db(), { area: covering(3) });
    const far = await registerAgency(db(), { area: covering(12) });
    const outOfRange = await registerAgency(db(), { area: covering(40, 20) });
    const nearbySuspended = await registerAgency(db(), { status: 'SUSPENDED', area: covering(2) });
    const nearbyIncapable = await registerAgency(db(), { levels: ['CCT'], area: covering(2) });
    const nearbyRetired = await registerAgency(db(), { area: covering(2) });
    await db().updateTable('agencies').set({ is_active: false }).where('id', '=', nearbyRetired).execute();
    const nearbyPausedArea = await registerAgency(db(), { area: covering(2) });
    await db().updateTable('service_areas').set({ is_active: false }).where('agency_id', '=', nearbyPausedArea).execute();

    const tripId = await requestTrip(db(), {
      origin,
      transportLevel: 'ALS',
      preferredAgencyIds: [preferredSuspended, preferredAlsoNearby, preferredIncapable, preferredActive.toUpperCase(), preferredPending, newId()],
    });

    const expected = [preferredAlsoNearby, preferredActive, near, far];
    const [offered] = await outbox(db(), 'TripOffered', tripId);
    expect(offered!.agencyIds).toEqual(expected);
    const { trip, responses } = await tripState(db(), tripId);
    expect(trip).toMatchObject({ status: 'REQUESTED', transport_level: 'ALS', version: 1 });
    expect(responses.map((response) => response.agency_id).sort()).toEqual([...expected].sort());
    expect(responses.every((response) => response.status === 'PENDING')).toBe(true);
    for (const left of [preferredSuspended, preferredPending, preferredIncapable, outOfRange, nearbySuspended, nearbyIncapable, nearbyRetired, nearbyPausedArea]) {
      expect(responses.some((response) => response.agency_id === left)).toBe(false);
    }
  });

  it('offers a batch of trips applied together exactly as it offers each applied alone, and a replayed batch not again', async () => {
    const origin = freshPlace();
    const preferred = await registerAgency(db());
    const nearby = await registerAgency(db(), { area: { ...north(origin, 2), radiusKm: 30 } });
    const farther = await registerAgency(db(), { area: { ...north(origin, 9), radiusKm: 30 } });
    const requests = (['BLS', 'ALS', 'CCT'] as const).map((transportLevel) => tripRequest({ origin, transportLevel, preferredAgencyIds: [preferred] }));
    const alone = requests.map((request) => tripRequest({ ...request, tripId: newId() }));
    for (const request of alone) await applyEvent(db(), eventOf('TripRequested', request.tripId, request));
    const batch = requests.map((request) => eventOf('TripRequested', request.tripId, request));
    const batchHandler = emsConsumers.find((consumer) => consumer.name === 'ems.from-hospital')!.batchHandlers!.TripRequested!;
    await db().transaction().execute((trx) => batchHandler(trx, batch));
    await db().transaction().execute((trx) => batchHandler(trx, batch));
    for (const [index, request] of requests.entries()) {
      const together = await outbox(db(), 'TripOffered', request.tripId);
      const [single] = await outbox(db(), 'TripOffered', alone[index]!.tripId);
      expect(together).toHaveLength(1);
      expect(together[0]!.agencyIds).toEqual(single!.agencyIds);
    }
    expect((await outbox(db(), 'TripOffered', requests[0]!.tripId))[0]!.agencyIds).toEqual([preferred, nearby, farther]);
  });

  it('copies and offers a trip once when its request comes twice in one batch, as a single request would', async () => {
    const request = tripRequest();
    const batchHandler = emsConsumers.find((consumer) => consumer.name === 'ems.from-hospital')!.batchHandlers!.TripRequested!;
    await db().transaction().execute((trx) => batchHandler(trx, [eventOf('TripRequested', request.tripId, request), eventOf('TripRequested', request.tripId, request)]));
    expect(await outbox(db(), 'TripOffered', request.tripId)).toHaveLength(1);
  });

  it('says a trip no agency can serve was offered to nobody, so it can expire at its deadline', async () => {
    const tripId = await requestTrip(db());
    expect(await outbox(db(), 'TripOffered', tripId)).toMatchObject([{ tripId, agencyIds: [] }]);
    expect((await tripState(db(), tripId)).trip!.status).toBe('REQUESTED');
  });

  it('applies the same trip requested twice once: one copy, one offer per agency, one TripOffered', async () => {
    const origin = freshPlace();
    const agency = await registerAgency(db(), { area: { ...origin, radiusKm: 10 } });
    const payload = tripRequest({ origin, preferredAgencyIds: [agency] });
    await applyEvent(db(), eventOf('TripRequested', payload.tripId, payload));
    const once = await tripState(db(), payload.tripId);
    await applyEvent(db(), eventOf('TripRequested', payload.tripId, payload));
    expect(await tripState(db(), payload.tripId)).toEqual(once);
    expect(once.responses).toHaveLength(1);
    expect(once.events.map((event) => event.type)).toEqual(['TripOffered']);
  });

  it('writes the copy, its offers and TripOffered in one transaction: all of them or none', async () => {
    const origin = freshPlace();
    await registerAgency(db(), { area: { ...origin, radiusKm: 10 } });
    const payload = tripRequest({ origin });
    const handler = emsConsumers.find((consumer) => consumer.name === 'ems.from-hospital')!.handlers.TripRequested!;
    await expect(
      db()
        .transaction()
        .execute(async (trx) => {
          await handler(trx, eventOf('TripRequested', payload.tripId, payload));
          throw new Error('the consumer crashed before it committed');
        }),
    ).rejects.toThrow(/crashed/);
    expect(await tripState(db(), payload.tripId)).toEqual({ trip: undefined, responses: [], events: [], progress: [] });
  });
});

describe('agencies joining the network (ServiceRegistered)', () => {
  it('creates the agency the center registered, under its id and with its service area, once however often it arrives', async () => {
    const payload = registration({ levels: ['ALS', 'CCT'], status: 'ACTIVE', area: { latitude: 41.2, longitude: -79.1, radiusKm: 25 } });
    await applyEvent(db(), eventOf('ServiceRegistered', payload.agencyId, payload));
    await applyEvent(db(), eventOf('ServiceRegistered', payload.agencyId, { ...payload, registrationId: newId() }));

    const agencies = await db().selectFrom('agencies').selectAll().where('id', '=', payload.agencyId).execute();
    expect(agencies).toHaveLength(1);
    expect(agencies[0]).toMatchObject({
      name: payload.name,
      levels: ['ALS', 'CCT'],
      equipment: ['OXYGEN'],
      status: 'ACTIVE',
      phone: payload.phone,
      email: payload.email,
      contact_name: payload.contactName,
      address_line: '1 Station Rd',
      city: 'Testville',
      state: 'PA',
      postal_code: '15000',
      added_by_id: payload.registeredById,
    });
    const areas = await db().selectFrom('service_areas').selectAll().where('agency_id', '=', payload.agencyId).execute();
    expect(areas).toMatchObject([{ name: 'Home', center_latitude: 41.2, center_longitude: -79.1, radius_km: 25, is_active: true }]);

    // Its own staff find it as they find any agency.
    const own = await service.asViewer<{ agency: { id: string; capabilities: string[] } }>(
      staffOf(payload.agencyId, 'EMS_ADMIN'),
      `query ($id: ID!) { agency(id: $id) { id capabilities } }`,
      { id: payload.agencyId },
    );
    expect(own.data!.agency).toEqual({ id: payload.agencyId, capabilities: ['ALS', 'CCT'] });
  });
});

describe('agencies suspended and reactivated (ServiceStatusChanged)', () => {
  const statusChanged = (agencyId: string, status: 'ACTIVE' | 'SUSPENDED', changedAt: string) =>
    eventOf('ServiceStatusChanged', agencyId, { agencyId, registrationId: newId(), status, previousStatus: 'ACTIVE', changedById: null, changedAt });

  it('follows the newest change of status, whatever order the changes are retried in', async () => {
    const agencyId = await registerAgency(db());
    const statusOf = async () => (await db().selectFrom('agencies').select('status').where('id', '=', agencyId).executeTakeFirstOrThrow()).status;
    await applyEvent(db(), statusChanged(agencyId, 'SUSPENDED', minutesFromNow(2)));
    await applyEvent(db(), statusChanged(agencyId, 'ACTIVE', minutesFromNow(1)));
    expect(await statusOf()).toBe('SUSPENDED');
    await applyEvent(db(), statusChanged(agencyId, 'ACTIVE', minutesFromNow(3)));
    expect(await statusOf()).toBe('ACTIVE');
  });

  it('parks the status of an agency it has not received yet, rather than dropping it', async () => {
    await expect(applyEvent(db(), statusChanged(newId(), 'SUSPENDED', minutesFromNow(1)))).rejects.toThrow(/unknown to the ems silo/);
  });
});

describe('agency names', () => {
  it('creates an agency whose name an ems agency already carries: names identify no agency, the center keeps registrations apart', async () => {
    const first = registration();
    await applyEvent(db(), eventOf('ServiceRegistered', first.agencyId, first));
    // The center registers the same name again: its registry checks names against its own registrations only.
    const second = { ...registration(), name: first.name };
    await applyEvent(db(), eventOf('ServiceRegistered', second.agencyId, second));

    const named = await db().selectFrom('agencies').select('id').where('name', '=', first.name).orderBy('id').execute();
    expect(named.map((row) => row.id)).toEqual([first.agencyId, second.agencyId].sort());
  });

  it('lets an agency take a name another agency carries, so renaming tells its staff nothing about other agencies', async () => {
    const taken = await registerAgency(db());
    const renamed = await registerAgency(db());
    const { name } = await db().selectFrom('agencies').select('name').where('id', '=', taken).executeTakeFirstOrThrow();
    const response = await service.asViewer<{ updateAgency: { id: string; name: string } }>(
      staffOf(renamed, 'EMS_ADMIN'),
      `mutation ($id: ID!, $name: String!) { updateAgency(id: $id, input: { name: $name }) { id name } }`,
      { id: renamed, name: name.toLowerCase() },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.updateAgency).toEqual({ id: renamed, name: name.toLowerCase() });
    const names = await db().selectFrom('agencies').select(['id', 'name']).where('id', 'in', [taken, renamed]).execute();
    expect(Object.fromEntries(names.map((row) => [row.id, row.name]))).toEqual({ [taken]: name, [renamed]: name.toLowerCase() });
  });
});

describe('availableTrips', () => {
  it('lists the offers an agency may still answer, soonest deadline first, page by page', async () => {
    const agency = await registerAgency(db());
    const me = staffOf(agency);
    const later = await requestTrip(db(), { preferredAgencyIds: [agency], responseDeadline: minutesFromNow(50) });
    const soonest = await requestTrip(db(), {
      preferredAgencyIds: [agency],
      responseDeadline: minutesFromNow(10),
      scheduledPickupAt: minutesFromNow(90),
      priority: 'ROUTINE',
    });
    const middle = await requestTrip(db(), { preferredAgencyIds: [agency], responseDeadline: minutesFromNow(30) });
    const declined = await requestTrip(db(), { preferredAgencyIds: [agency], responseDeadline: minutesFromNow(20) });
    const overdue = await requestTrip(db(), { preferredAgencyIds: [agency], responseDeadline: minutesFromNow(-1) });
    const cancelled = await requestTrip(db(), { preferredAgencyIds: [agency], responseDeadline: minutesFromNow(25) });
    const declining = await service.asViewer(me, RESPOND, { tripId: declined, input: { decision: 'DECLINE', declineReason: 'No crew tonight' } });
    expect(declining.errors).toBeUndefined();
    await applyEvent(
      db(),
      eventOf('TripStatusChanged', cancelled, {
        tripId: cancelled,
        hospitalId: newId(),
        status: 'CANCELLED',
        previousStatus: 'REQUESTED',
        occurredAt: new Date().toISOString(),
        agencyId: null,
        unitId: null,
        cancellation: { reason: 'PATIENT_DISCHARGED', party: 'HOSPITAL' },
      }),
    );

    expect(await offeredIds(me)).toEqual([soonest, middle, later]);

    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: GraphQLResponse<OfferPage> = await service.asViewer<OfferPage>(me, AVAILABLE, { first: 1, after });
      expect(page.errors).toBeUndefined();
      const { nodes, pageInfo, edges } = page.data!.availableTrips;
      seen.push(...nodes.map((offer) => offer.id));
      expect(edges.map((edge) => edge.node.id)).toEqual(nodes.map((offer) => offer.id));
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }
    expect(seen).toEqual([soonest, middle, later]);

    const first = await service.asViewer<{ availableTrips: { nodes: Record<string, unknown>[] } }>(me, AVAILABLE, { first: 1 });
    const payload = (await outbox(db(), 'TripOffered', soonest))[0]!;
    const copy = (await tripState(db(), soonest)).trip!;
    expect(first.data!.availableTrips.nodes[0]).toEqual({
      id: soonest,
      // Offered, not yet served: the agency may not see the hospital's trip, so it is not referred to it.
      trip: null,
      hospital: { id: payload.hospitalId },
      origin: { id: copy.origin_facility_id },
      destination: { id: copy.destination_facility_id },
      transportLevel: 'BLS',
      priority: 'ROUTINE',
      specialRequirements: ['OXYGEN'],
      requestedAt: copy.requested_at.toISOString(),
      scheduledPickupAt: copy.scheduled_pickup_at!.toISOString(),
      responseDeadline: copy.response_deadline.toISOString(),
      status: 'REQUESTED',
      response: { status: 'PENDING', agency: { id: agency } },
    });
  });

  it("never shows one agency another agency's offer", async () => {
    const mine = await registerAgency(db());
    const theirs = await registerAgency(db());
    const tripId = await requestTrip(db(), { preferredAgencyIds: [theirs] });
    expect(await offeredIds(staffOf(mine))).not.toContain(tripId);
    expect(await offeredIds(staffOf(mine, 'EMS_CREW'))).not.toContain(tripId);
    expect(await offeredIds(staffOf(theirs, 'EMS_CREW'))).toContain(tripId);
    // The demo agencies' dispatchers see none of the test agencies' offers either.
    const demo = await service.as<OfferPage>('dispatcher@agency-1.demo', AVAILABLE, { first: 200 });
    expect(demo.data!.availableTrips.nodes.map((offer) => offer.id)).not.toContain(tripId);
  });

  it('refuses availableTrips to hospital and center accounts with FORBIDDEN', async () => {
    for (const email of ['coordinator@hospital-1.demo', 'admin@center.demo', 'analyst@center.demo'] as DemoEmail[]) {
      const response = await service.as(email, AVAILABLE);
      expect(errorCodes(response), email).toEqual(['FORBIDDEN']);
    }
  });
});

describe('respondToTrip', () => {
  it('lets exactly one of 20 agencies accepting at once win the trip; the other 19 get CONFLICT', async () => {
    const agencies = await Promise.all(Array.from({ length: 20 }, () => registerAgency(db())));
    const tripId = await requestTrip(db(), { preferredAgencyIds: agencies });
    expect((await tripState(db(), tripId)).responses).toHaveLength(20);

    const answers = await Promise.all(
      agencies.map((agency, index) => service.asViewer(staffOf(agency), RESPOND, { tripId, input: { decision: 'ACCEPT', etaMinutes: 10 + index } })),
    );
    const winners = answers.filter((answer) => !answer.errors);
    expect(winners).toHaveLength(1);
    expect(answers.filter((answer) => errorCodes(answer).join() === 'CONFLICT')).toHaveLength(19);
    const winner = agencies[answers.findIndex((answer) => !answer.errors)]!;

    const { trip, responses } = await tripState(db(), tripId);
    expect(trip).toMatchObject({ status: 'ACCEPTED', assigned_agency_id: winner });
    expect(responses.filter((response) => response.status === 'ACCEPTED').map((response) => response.agency_id)).toEqual([winner]);
    // The losers' offers were withdrawn by the winning acceptance; nothing they sent was written.
    const losers = responses.filter((response) => response.agency_id !== winner);
    expect(losers.every((response) => response.status === 'WITHDRAWN' && response.eta_minutes === null && response.responded_at === null)).toBe(true);
    expect(await outbox(db(), 'TripProgressReported', tripId)).toMatchObject([{ tripId, status: 'ACCEPTED', agencyId: winner }]);
    expect(await outbox(db(), 'TripResponded', tripId)).toMatchObject([{ tripId, agencyId: winner, decision: 'ACCEPTED' }]);
  });

  it('accepts with an ETA and a bid: the trip is the agency’s, the others’ offers are withdrawn, the hospital is told', async () => {
    const mine = await registerAgency(db());
    const other = await registerAgency(db());
    const tripId = await requestTrip(db(), { preferredAgencyIds: [mine, other] });
    const me = staffOf(mine, 'EMS_ADMIN');
    const response = await service.asViewer<{ respondToTrip: Record<string, unknown> }>(me, RESPOND, {
      tripId,
      input: { decision: 'ACCEPT', etaMinutes: 25, bidAmount: 412.5, notes: 'Unit 7 returning from a call nearby' },
    });
    expect(response.errors).toBeUndefined();
    expect(response.data!.respondToTrip).toMatchObject({ status: 'ACCEPTED', etaMinutes: 25, bidAmount: 412.5, declineReason: null, agency: { id: mine } });

    const { trip, responses, progress } = await tripState(db(), tripId);
    expect(trip).toMatchObject({ status: 'ACCEPTED', assigned_agency_id: mine });
    expect(Object.fromEntries(responses.map((answer) => [answer.agency_id, answer.status]))).toEqual({ [mine]: 'ACCEPTED', [other]: 'WITHDRAWN' });
    const [ended] = await outbox(db(), 'TripOffersEnded', tripId);
    expect(ended).toMatchObject({ tripId, agencyIds: [other], reason: 'TAKEN_BY_ANOTHER_AGENCY' });
    expect(progress).toMatchObject([{ status: 'ACCEPTED', agency_id: mine, reported_by_id: me.userId }]);
    const [reported] = await outbox(db(), 'TripProgressReported', tripId);
    expect(reported).toEqual({
      tripId,
      status: 'ACCEPTED',
      agencyId: mine,
      unitId: null,
      etaMinutes: 25,
      reportedById: me.userId,
      occurredAt: expect.any(String),
    });
    const [responded] = await outbox(db(), 'TripResponded', tripId);
    expect(responded).toMatchObject({ tripId, agencyId: mine, decision: 'ACCEPTED', etaMinutes: 25, declineReason: null });

    // Accepted trips are no longer offers.
    expect(await offeredIds(staffOf(other))).not.toContain(tripId);
    expect(await offeredIds(me)).not.toContain(tripId);
  });

  it('declines with a reason and tells the hospital; a decline without a reason is BAD_USER_INPUT and writes nothing', async () => {
    const agency = await registerAgency(db());
    const tripId = await requestTrip(db(), { preferredAgencyIds: [agency] });
    const me = staffOf(agency);
    const before = await tripState(db(), tripId);
    for (const input of [{ decision: 'DECLINE' }, { decision: 'DECLINE', declineReason: '   ' }]) {
      const refused = await service.asViewer(me, RESPOND, { tripId, input });
      expect(errorCodes(refused), JSON.stringify(input)).toEqual(['BAD_USER_INPUT']);
      expect(fields(refused)).toEqual(['declineReason']);
    }
    expect(await tripState(db(), tripId)).toEqual(before);

    const declined = await service.asViewer<{ respondToTrip: Record<string, unknown> }>(me, RESPOND, {
      tripId,
      input: { decision: 'DECLINE', declineReason: 'No ALS crew until 19:00' },
    });
    expect(declined.errors).toBeUndefined();
    expect(declined.data!.respondToTrip).toMatchObject({ status: 'DECLINED', declineReason: 'No ALS crew until 19:00', etaMinutes: null });
    expect((await tripState(db(), tripId)).trip!.status).toBe('REQUESTED');
    expect(await outbox(db(), 'TripResponded', tripId)).toMatchObject([{ agencyId: agency, decision: 'DECLINED', declineReason: 'No ALS crew until 19:00' }]);
    expect(await outbox(db(), 'TripProgressReported', tripId)).toEqual([]);

    // One answer per agency: changing its mind after declining is a CONFLICT.
    const again = await service.asViewer(me, RESPOND, { tripId, input: { decision: 'ACCEPT', etaMinutes: 30 } });
    expect(errorCodes(again)).toEqual(['CONFLICT']);
  });

  it('refuses a bad answer with BAD_USER_INPUT naming the field, and writes nothing', async () => {
    const agency = await registerAgency(db());
    const tripId = await requestTrip(db(), { preferredAgencyIds: [agency] });
    const before = await tripState(db(), tripId);
    const cases: [Record<string, unknown>, string][] = [
      [{ decision: 'ACCEPT' }, 'etaMinutes'],
      [{ decision: 'ACCEPT', etaMinutes: 0 }, 'etaMinutes'],
      [{ decision: 'ACCEPT', etaMinutes: 721 }, 'etaMinutes'],
      [{ decision: 'ACCEPT', etaMinutes: 15, bidAmount: -1 }, 'bidAmount'],
      [{ decision: 'ACCEPT', etaMinutes: 15, declineReason: 'Changed my mind' }, 'declineReason'],
      [{ decision: 'DECLINE', declineReason: 'No crew', etaMinutes: 15 }, 'etaMinutes'],
      [{ decision: 'ACCEPT', etaMinutes: 15, notes: 'x'.repeat(2001) }, 'notes'],
    ];
    for (const [input, field] of cases) {
      const refused = await service.asViewer(staffOf(agency), RESPOND, { tripId, input });
      expect(errorCodes(refused), JSON.stringify(input)).toEqual(['BAD_USER_INPUT']);
      expect(fields(refused), JSON.stringify(input)).toEqual([field]);
    }
    expect(await tripState(db(), tripId)).toEqual(before);
  });

  it('answers accepting a cancelled or an expired trip with CONFLICT and changes nothing', async () => {
    const agency = await registerAgency(db());
    const me = staffOf(agency);
    const cancelled = await requestTrip(db(), { preferredAgencyIds: [agency] });
    await applyEvent(
      db(),
      eventOf('TripStatusChanged', cancelled, {
        tripId: cancelled,
        hospitalId: newId(),
        status: 'CANCELLED',
        previousStatus: 'REQUESTED',
        occurredAt: new Date().toISOString(),
        agencyId: null,
        unitId: null,
        cancellation: { reason: 'DUPLICATE_REQUEST', party: 'HOSPITAL' },
      }),
    );
    const overdue = await requestTrip(db(), { preferredAgencyIds: [agency], responseDeadline: minutesFromNow(-2) });

    for (const [tripId, message] of [
      [cancelled, /cancelled/],
      [overdue, /expired/],
    ] as const) {
      const before = await tripState(db(), tripId);
      const response = await service.asViewer(me, RESPOND, { tripId, input: { decision: 'ACCEPT', etaMinutes: 15 } });
      expect(errorCodes(response)).toEqual(['CONFLICT']);
      expect(response.errors![0]!.message).toMatch(message);
      expect(await tripState(db(), tripId)).toEqual(before);
    }
  });

  it('refuses an acceptance with CONFLICT when the agency no longer provides the trip’s level, writes nothing, and still lets it decline', async () => {
    const agency = await registerAgency(db(), { levels: ['BLS', 'ALS'] });
    const tripId = await requestTrip(db(), { transportLevel: 'ALS', preferredAgencyIds: [agency] });
    // After the offer, the agency stops providing ALS.
    const changed = await service.asViewer(
      staffOf(agency, 'EMS_ADMIN'),
      `mutation ($id: ID!) { updateAgency(id: $id, input: { capabilities: [BLS] }) { id } }`,
      { id: agency },
    );
    expect(changed.errors).toBeUndefined();

    const before = await tripState(db(), tripId);
    const refused = await service.asViewer(staffOf(agency), RESPOND, { tripId, input: { decision: 'ACCEPT', etaMinutes: 12 } });
    expect(errorCodes(refused)).toEqual(['CONFLICT']);
    expect(refused.errors![0]!.message).toMatch(/does not provide ALS/);
    expect(await tripState(db(), tripId)).toEqual(before);

    const declined = await service.asViewer(staffOf(agency), RESPOND, { tripId, input: { decision: 'DECLINE', declineReason: 'No ALS crew any more' } });
    expect(declined.errors).toBeUndefined();
  });

  it('answers a trip never offered to the agency with NOT_FOUND, exactly like an unknown id, and writes nothing', async () => {
    const offered = await registerAgency(db());
    const outsider = await registerAgency(db());
    const tripId = await requestTrip(db(), { preferredAgencyIds: [offered] });
    const before = await tripState(db(), tripId);
    const unknownId = newId();
    const hidden = await service.asViewer(staffOf(outsider), RESPOND, { tripId, input: { decision: 'ACCEPT', etaMinutes: 5 } });
    const unknown = await service.asViewer(staffOf(outsider), RESPOND, { tripId: unknownId, input: { decision: 'ACCEPT', etaMinutes: 5 } });
    expect(errorCodes(hidden)).toEqual(['NOT_FOUND']);
    expect(hidden.errors![0]!.message.replace(tripId, '<id>')).toBe(unknown.errors![0]!.message.replace(unknownId, '<id>'));
    expect(errorCodes(await service.asViewer(staffOf(outsider), RESPOND, { tripId: 'not-an-id', input: { decision: 'ACCEPT', etaMinutes: 5 } }))).toEqual([
      'NOT_FOUND',
    ]);
    expect(await tripState(db(), tripId)).toEqual(before);

    // The refusal is on record as the refused attempt it was.
    const denied = await db()
      .selectFrom('audit_log')
      .select(['outcome', 'action'])
      .where('entity_id', '=', tripId)
      .where('action', '=', 'RESPOND_TO_TRIP')
      .execute();
    expect(denied).toEqual([{ outcome: 'DENIED', action: 'RESPOND_TO_TRIP' }]);
  });

  it('refuses crews, hospitals and the center answering offers with FORBIDDEN', async () => {
    const agency = await registerAgency(db());
    const tripId = await requestTrip(db(), { preferredAgencyIds: [agency] });
    const before = await tripState(db(), tripId);
    const input = { decision: 'ACCEPT', etaMinutes: 15 };
    expect(errorCodes(await service.asViewer(staffOf(agency, 'EMS_CREW'), RESPOND, { tripId, input }))).toEqual(['FORBIDDEN']);
    for (const email of ['coordinator@hospital-1.demo', 'admin@center.demo'] as DemoEmail[]) {
      expect(errorCodes(await service.as(email, RESPOND, { tripId, input })), email).toEqual(['FORBIDDEN']);
    }
    expect(await tripState(db(), tripId)).toEqual(before);
  });

  it('writes no outbox event for any failed answer, and none of an acceptance whose events cannot be written', async () => {
    const agency = await registerAgency(db());
    const tripId = await requestTrip(db(), { preferredAgencyIds: [agency] });
    const outboxSize = async () => Number((await db().selectFrom('outbox_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const size = await outboxSize();
    await service.asViewer(staffOf(agency), RESPOND, { tripId, input: { decision: 'ACCEPT' } });
    await service.asViewer(staffOf(agency, 'EMS_CREW'), RESPOND, { tripId, input: { decision: 'ACCEPT', etaMinutes: 5 } });
    await service.asViewer(staffOf(newId()), RESPOND, { tripId, input: { decision: 'ACCEPT', etaMinutes: 5 } });
    expect(await outboxSize()).toBe(size);

    // The outbox refuses this trip's new events for a moment: the acceptance must fail as a whole, not half-commit.
    const before = await tripState(db(), tripId);
    await sql`alter table outbox_events add constraint refuse_test_trip check (aggregate_id <> ${sql.lit(tripId)}) not valid`.execute(db());
    try {
      const failed = await service.asViewer(staffOf(agency), RESPOND, { tripId, input: { decision: 'ACCEPT', etaMinutes: 5 } });
      expect(errorCodes(failed)).toEqual(['INTERNAL_SERVER_ERROR']);
    } finally {
      await sql`alter table outbox_events drop constraint refuse_test_trip`.execute(db());
    }
    expect(await tripState(db(), tripId)).toEqual(before);

    await accept(service, staffOf(agency), tripId);
    expect((await tripState(db(), tripId)).trip!.status).toBe('ACCEPTED');
  });
});
