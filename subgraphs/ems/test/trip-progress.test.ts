import { newId, type EventContracts, type TransportStatus } from '@medport/domain';
import { errorCodes, type GraphQLResponse } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emsSubgraph } from '../src/index.js';
import { expireOverdueOffers } from '../src/modules/trips/trips.jobs.js';
import { startTestEms, type TestEms } from './ems-service.js';
import {
  accept,
  addUnit,
  applyEvent,
  ASSIGN,
  eventOf,
  freshPlace,
  minutesFromNow,
  outbox,
  PROGRESS,
  registerAgency,
  requestTrip,
  RESPOND,
  staffOf,
  tripRequest,
  tripState,
} from './workflow-support.js';

let service: TestEms;
const db = () => service.ems.database.db;
const fields = (response: GraphQLResponse<unknown>) => (response.errors ?? []).map((error) => error.extensions?.field);
const unitStatus = async (id: string) => (await db().selectFrom('units').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

beforeAll(async () => {
  service = await startTestEms();
});

afterAll(async () => {
  await service?.stop();
});

/** An agency that won a trip, with its dispatcher and an available unit of the trip's level. */
async function acceptedTrip(level: 'BLS' | 'ALS' = 'BLS') {
  const agency = await registerAgency(db(), { levels: ['BLS', 'ALS'] });
  const competitor = await registerAgency(db());
  const dispatcher = staffOf(agency);
  const tripId = await requestTrip(db(), { preferredAgencyIds: [agency, competitor], transportLevel: level });
  await accept(service, dispatcher, tripId);
  const unitId = await addUnit(service, dispatcher, level);
  return { agency, competitor, dispatcher, tripId, unitId };
}

/** A trip on its way: accepted, its unit assigned. */
async function assignedTrip() {
  const accepted = await acceptedTrip();
  const assigned = await service.asViewer(accepted.dispatcher, ASSIGN, { tripId: accepted.tripId, unitId: accepted.unitId });
  expect(assigned.errors).toBeUndefined();
  return accepted;
}

function statusChanged(tripId: string, status: TransportStatus, previousStatus: TransportStatus, extra: Partial<EventContracts['TripStatusChanged']> = {}) {
  return eventOf('TripStatusChanged', tripId, {
    tripId,
    hospitalId: newId(),
    status,
    previousStatus,
    occurredAt: new Date().toISOString(),
    agencyId: null,
    unitId: null,
    cancellation: status === 'CANCELLED' ? { reason: 'PATIENT_CONDITION_CHANGED', party: 'HOSPITAL' } : null,
    ...extra,
  });
}

function planChanged(tripId: string, version: number, plan: Partial<EventContracts['TripPlanChanged']> = {}) {
  return eventOf('TripPlanChanged', tripId, {
    tripId,
    hospitalId: newId(),
    version,
    destinationFacilityId: newId(),
    transportLevel: 'BLS',
    priority: 'URGENT',
    specialRequirements: [],
    scheduledPickupAt: null,
    ...plan,
  });
}

describe('assignUnit', () => {
  it('sends an available unit of the accepting agency: the trip ASSIGNED, the unit COMMITTED, the hospital told', async () => {
    const { agency, dispatcher, tripId, unitId } = await acceptedTrip();
    const response = await service.asViewer<{ assignUnit: Record<string, unknown> }>(dispatcher, ASSIGN, { tripId, unitId });
    expect(response.errors).toBeUndefined();
    expect(response.data!.assignUnit).toEqual({ id: tripId, status: 'ASSIGNED', assignedUnit: { id: unitId, status: 'COMMITTED' }, response: { status: 'ACCEPTED' } });
    expect((await tripState(db(), tripId)).trip).toMatchObject({ status: 'ASSIGNED', assigned_agency_id: agency, assigned_unit_id: unitId });
    expect(await unitStatus(unitId)).toBe('COMMITTED');
    expect((await outbox(db(), 'TripProgressReported', tripId)).map((event) => [event.status, event.unitId, event.reportedById])).toEqual([
      ['ACCEPTED', null, dispatcher.userId],
      ['ASSIGNED', unitId, dispatcher.userId],
    ]);
  });

  it("refuses a unit that cannot serve the trip (another agency's, retired, busy, a lower level) with BAD_USER_INPUT and changes nothing", async () => {
    const { dispatcher, tripId } = await acceptedTrip('ALS');
    const otherAgency = await registerAgency(db());
    const foreign = await addUnit(service, staffOf(otherAgency), 'ALS');
    const retired = await addUnit(service, dispatcher, 'ALS');
    await db().updateTable('units').set({ is_active: false }).where('id', '=', retired).execute();
    const busy = await addUnit(service, dispatcher, 'ALS');
    await db().updateTable('units').set({ status: 'OUT_OF_SERVICE' }).where('id', '=', busy).execute();
    const basic = await addUnit(service, dispatcher, 'BLS');

    const before = await tripState(db(), tripId);
    for (const unitId of [foreign, retired, busy, basic, newId(), 'not-an-id']) {
      const refused = await service.asViewer(dispatcher, ASSIGN, { tripId, unitId });
      expect(errorCodes(refused), unitId).toEqual(['BAD_USER_INPUT']);
      expect(fields(refused)).toEqual(['unitId']);
    }
    expect(await tripState(db(), tripId)).toEqual(before);
    expect(await unitStatus(foreign)).toBe('AVAILABLE');
    expect(await unitStatus(basic)).toBe('AVAILABLE');

    // A higher level of care serves a lower one.
    const critical = await addUnit(service, dispatcher, 'CCT');
    expect((await service.asViewer(dispatcher, ASSIGN, { tripId, unitId: critical })).errors).toBeUndefined();
  });

  it('refuses assigning before accepting, or twice, with BAD_USER_INPUT; a trip another agency won is a CONFLICT to a competitor and NOT_FOUND to others', async () => {
    const { competitor, tripId, dispatcher, unitId } = await assignedTrip();
    const second = await addUnit(service, dispatcher);
    expect(errorCodes(await service.asViewer(dispatcher, ASSIGN, { tripId, unitId: second }))).toEqual(['BAD_USER_INPUT']);

    const competitorUnit = await addUnit(service, staffOf(competitor));
    expect(errorCodes(await service.asViewer(staffOf(competitor), ASSIGN, { tripId, unitId: competitorUnit }))).toEqual(['CONFLICT']);
    const stranger = await registerAgency(db());
    expect(errorCodes(await service.asViewer(staffOf(stranger), ASSIGN, { tripId, unitId: competitorUnit }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await service.asViewer(staffOf(competitor, 'EMS_CREW'), ASSIGN, { tripId, unitId: competitorUnit }))).toEqual(['FORBIDDEN']);

    const agency = await registerAgency(db());
    const open = await requestTrip(db(), { preferredAgencyIds: [agency] });
    const idle = await addUnit(service, staffOf(agency));
    const early = await service.asViewer(staffOf(agency), ASSIGN, { tripId: open, unitId: idle });
    expect(errorCodes(early)).toEqual(['BAD_USER_INPUT']);
    expect((await tripState(db(), open)).trip!.status).toBe('REQUESTED');
    expect(await unitStatus(unitId)).toBe('COMMITTED');
    expect(await unitStatus(idle)).toBe('AVAILABLE');
  });
});

describe('reportTripProgress', () => {
  it('moves the trip step by step as the crew reports it, the unit along with it, and frees the unit on completion', async () => {
    const { agency, tripId, unitId } = await assignedTrip();
    const crew = staffOf(agency, 'EMS_CREW');
    const steps: [TransportStatus, string][] = [
      ['EN_ROUTE', 'EN_ROUTE'],
      ['AT_PICKUP', 'ON_SCENE'],
      ['TRANSPORTING', 'TRANSPORTING'],
      ['AT_DESTINATION', 'AT_DESTINATION'],
      ['COMPLETED', 'AVAILABLE'],
    ];
    for (const [status, unit] of steps) {
      const response = await service.asViewer<{ reportTripProgress: Record<string, unknown> }>(crew, PROGRESS, { tripId, status, notes: `crew: ${status}` });
      expect(response.errors, status).toBeUndefined();
      expect(response.data!.reportTripProgress).toEqual({ id: tripId, status, assignedUnit: { id: unitId, status: unit } });
      expect(await unitStatus(unitId)).toBe(unit);
    }
    const reported = await outbox(db(), 'TripProgressReported', tripId);
    expect(reported.map((event) => event.status)).toEqual(['ACCEPTED', 'ASSIGNED', 'EN_ROUTE', 'AT_PICKUP', 'TRANSPORTING', 'AT_DESTINATION', 'COMPLETED']);
    expect(reported.slice(2).every((event) => event.agencyId === agency && event.unitId === unitId && event.reportedById === crew.userId)).toBe(true);
    // The crew's notes stay in this silo; events carry no free text.
    const progress = (await tripState(db(), tripId)).progress;
    expect(progress.slice(2).map((row) => row.notes)).toEqual(steps.map(([status]) => `crew: ${status}`));
  });

  it('refuses an illegal step with BAD_USER_INPUT, changes nothing and publishes nothing', async () => {
    const { agency, tripId, unitId } = await assignedTrip();
    const crew = staffOf(agency, 'EMS_CREW');
    const illegal = async (status: TransportStatus) => {
      const before = await tripState(db(), tripId);
      const unitBefore = await unitStatus(unitId);
      const refused = await service.asViewer(crew, PROGRESS, { tripId, status });
      expect(errorCodes(refused), status).toEqual(['BAD_USER_INPUT']);
      expect(fields(refused), status).toEqual(['status']);
      expect(await tripState(db(), tripId)).toEqual(before);
      expect(await unitStatus(unitId)).toBe(unitBefore);
    };
    // Skipping a step, a status crews never report, and going back.
    await illegal('AT_PICKUP');
    await illegal('ACCEPTED');
    await illegal('CANCELLED');
    for (const status of ['EN_ROUTE', 'AT_PICKUP', 'TRANSPORTING', 'AT_DESTINATION', 'COMPLETED'] as const) {
      expect((await service.asViewer(crew, PROGRESS, { tripId, status })).errors).toBeUndefined();
    }
    await illegal('EN_ROUTE');
    await illegal('COMPLETED');
  });

  it('answers progress on a trip another agency serves with CONFLICT to a competitor and NOT_FOUND to an agency never offered it', async () => {
    const { competitor, tripId } = await assignedTrip();
    const stranger = await registerAgency(db());
    const before = await tripState(db(), tripId);
    expect(errorCodes(await service.asViewer(staffOf(competitor, 'EMS_CREW'), PROGRESS, { tripId, status: 'EN_ROUTE' }))).toEqual(['CONFLICT']);
    expect(errorCodes(await service.asViewer(staffOf(stranger, 'EMS_CREW'), PROGRESS, { tripId, status: 'EN_ROUTE' }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await service.as('coordinator@hospital-1.demo', PROGRESS, { tripId, status: 'EN_ROUTE' }))).toEqual(['FORBIDDEN']);
    expect(await tripState(db(), tripId)).toEqual(before);
  });
});

describe("the hospital's events about a trip (TripStatusChanged, TripPlanChanged)", () => {
  it('cancels the copy when the hospital cancels: waiting offers withdrawn, the unit free again, later crew reports refused', async () => {
    const { agency, tripId, unitId } = await assignedTrip();
    await applyEvent(db(), statusChanged(tripId, 'CANCELLED', 'ASSIGNED'));
    expect((await tripState(db(), tripId)).trip!.status).toBe('CANCELLED');
    expect(await unitStatus(unitId)).toBe('AVAILABLE');
    const late = await service.asViewer(staffOf(agency, 'EMS_CREW'), PROGRESS, { tripId, status: 'EN_ROUTE' });
    expect(errorCodes(late)).toEqual(['CONFLICT']);

    const waiting = await registerAgency(db());
    const open = await requestTrip(db(), { preferredAgencyIds: [waiting] });
    await applyEvent(db(), statusChanged(open, 'CANCELLED', 'REQUESTED'));
    expect((await tripState(db(), open)).responses.map((response) => response.status)).toEqual(['WITHDRAWN']);
  });

  it('ignores the echo of a status ems caused, a repeated event and an event behind the copy', async () => {
    const { agency, tripId, unitId } = await assignedTrip();
    const crew = staffOf(agency, 'EMS_CREW');
    expect((await service.asViewer(crew, PROGRESS, { tripId, status: 'EN_ROUTE' })).errors).toBeUndefined();
    const before = await tripState(db(), tripId);
    const unitBefore = await unitStatus(unitId);

    // The hospital echoes ACCEPTED, ASSIGNED and EN_ROUTE after ems has moved on, possibly more than once.
    for (const [status, previous] of [
      ['ACCEPTED', 'REQUESTED'],
      ['ASSIGNED', 'ACCEPTED'],
      ['EN_ROUTE', 'ASSIGNED'],
      ['EN_ROUTE', 'ASSIGNED'],
      ['REQUESTED', 'REQUESTED'],
    ] as const) {
      await applyEvent(db(), statusChanged(tripId, status, previous, { agencyId: agency, unitId }));
    }
    expect(await tripState(db(), tripId)).toEqual(before);
    expect(await unitStatus(unitId)).toBe(unitBefore);

    // Cancelling twice cancels once; a cancellation after the patient is on board never applies.
    await applyEvent(db(), statusChanged(tripId, 'CANCELLED', 'EN_ROUTE'));
    const cancelled = await tripState(db(), tripId);
    await applyEvent(db(), statusChanged(tripId, 'CANCELLED', 'EN_ROUTE'));
    expect(await tripState(db(), tripId)).toEqual(cancelled);

    const moving = await assignedTrip();
    for (const status of ['EN_ROUTE', 'AT_PICKUP', 'TRANSPORTING'] as const) {
      await service.asViewer(staffOf(moving.agency, 'EMS_CREW'), PROGRESS, { tripId: moving.tripId, status });
    }
    const onBoard = await tripState(db(), moving.tripId);
    await applyEvent(db(), statusChanged(moving.tripId, 'CANCELLED', 'AT_PICKUP'));
    expect(await tripState(db(), moving.tripId)).toEqual(onBoard);
    expect(await unitStatus(moving.unitId)).toBe('TRANSPORTING');
  });

  it('fails a status or plan change of a trip it never received, writing nothing, so the event parks behind its TripRequested', async () => {
    const counts = async () =>
      Promise.all(
        (['trips', 'trip_responses', 'trip_progress', 'outbox_events'] as const).map(async (table) =>
          Number((await db().selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
        ),
      );
    const agency = await registerAgency(db());
    const request = tripRequest({ preferredAgencyIds: [agency] });
    const tripId = request.tripId;
    const cancellation = statusChanged(tripId, 'CANCELLED', 'REQUESTED');
    const before = await counts();

    // The TripRequested is parked: every later event of the trip fails, naming the trip, instead of being applied as a no-op.
    const unknown = new RegExp(`Transport request ${tripId} is unknown to the ems silo`);
    await expect(applyEvent(db(), cancellation)).rejects.toThrow(unknown);
    await expect(applyEvent(db(), planChanged(tripId, 2, { transportLevel: 'ALS' }))).rejects.toThrow(unknown);
    // An id that is not a UUID can never name a trip: its events fail for good.
    await expect(applyEvent(db(), statusChanged('not-an-id', 'CANCELLED', 'REQUESTED'))).rejects.toThrow(/not-an-id/);
    await expect(applyEvent(db(), planChanged('not-an-id', 2))).rejects.toThrow(/not-an-id/);
    expect(await counts()).toEqual(before);

    // The operator retries in order: the request, then the cancellation, which now ends the trip for good.
    await applyEvent(db(), eventOf('TripRequested', tripId, request));
    await applyEvent(db(), cancellation);
    const { trip, responses } = await tripState(db(), tripId);
    expect(trip!.status).toBe('CANCELLED');
    expect(responses.map((response) => response.status)).toEqual(['WITHDRAWN']);
  });

  it('withdraws the waiting offers of agencies without the new level when a plan changes the level of a trip still REQUESTED, and offers it to nobody new', async () => {
    const origin = freshPlace();
    const basicOnly = await registerAgency(db(), { levels: ['BLS'] });
    const advanced = await registerAgency(db(), { levels: ['BLS', 'ALS'] });
    const declinedBasic = await registerAgency(db(), { levels: ['BLS'] });
    // Covers the pickup and provides the new level, but not the one the trip was requested with.
    const advancedOnlyNearby = await registerAgency(db(), { levels: ['ALS'], area: { ...origin, radiusKm: 20 } });
    const tripId = await requestTrip(db(), { origin, transportLevel: 'BLS', preferredAgencyIds: [basicOnly, advanced, declinedBasic] });
    const declining = await service.asViewer(staffOf(declinedBasic), RESPOND, { tripId, input: { decision: 'DECLINE', declineReason: 'No crew' } });
    expect(declining.errors).toBeUndefined();

    await applyEvent(db(), planChanged(tripId, 2, { transportLevel: 'ALS' }));

    const { trip, responses, events } = await tripState(db(), tripId);
    expect(trip).toMatchObject({ status: 'REQUESTED', transport_level: 'ALS', version: 2 });
    expect(Object.fromEntries(responses.map((response) => [response.agency_id, response.status]))).toEqual({
      [basicOnly]: 'WITHDRAWN',
      [advanced]: 'PENDING',
      [declinedBasic]: 'DECLINED',
    });
    expect(responses.some((response) => response.agency_id === advancedOnlyNearby)).toBe(false);
    // The withdrawal is announced (live offer lists drop the trip), naming only the agencies whose offers ended.
    expect(events.map((event) => event.type)).toEqual(['TripOffered', 'TripResponded', 'TripOffersEnded']);
    expect(events[2]!.payload).toMatchObject({ tripId, agencyIds: [basicOnly], reason: 'LEVEL_CHANGED' });
    const late = await service.asViewer(staffOf(basicOnly), RESPOND, { tripId, input: { decision: 'ACCEPT', etaMinutes: 10 } });
    expect(errorCodes(late)).toEqual(['CONFLICT']);

    // A plan that keeps the level, or one older than the copy's, leaves the offers as they are.
    const settled = await tripState(db(), tripId);
    await applyEvent(db(), planChanged(tripId, 3, { transportLevel: 'ALS', priority: 'ROUTINE' }));
    await applyEvent(db(), planChanged(tripId, 1, { transportLevel: 'WHEELCHAIR_VAN' }));
    const after = await tripState(db(), tripId);
    expect(after.trip).toMatchObject({ transport_level: 'ALS', priority: 'ROUTINE', version: 3 });
    expect(after.responses).toEqual(settled.responses);
  });

  it('follows the hospital forward when it is ahead: a trip the hospital expired ends its waiting offers as EXPIRED', async () => {
    const agency = await registerAgency(db());
    const tripId = await requestTrip(db(), { preferredAgencyIds: [agency] });
    await applyEvent(db(), statusChanged(tripId, 'EXPIRED', 'REQUESTED'));
    const { trip, responses, events } = await tripState(db(), tripId);
    expect(trip!.status).toBe('EXPIRED');
    expect(responses.map((response) => response.status)).toEqual(['EXPIRED']);
    expect(events.find((event) => event.type === 'TripOffersEnded')!.payload).toMatchObject({ tripId, agencyIds: [agency], reason: 'OFFER_EXPIRED' });
  });

  it('settles on the hospital cancellation when it expired the offer at the same moment the hospital cancelled', async () => {
    const agency = await registerAgency(db());
    const tripId = await requestTrip(db(), { preferredAgencyIds: [agency], responseDeadline: new Date(Date.now() - 1_000).toISOString() });
    await expireOverdueOffers(db());
    expect((await tripState(db(), tripId)).trip!.status).toBe('EXPIRED');
    await applyEvent(db(), statusChanged(tripId, 'CANCELLED', 'REQUESTED'));
    expect((await tripState(db(), tripId)).trip!.status).toBe('CANCELLED');
    // A cancelled trip stays cancelled whatever comes late.
    await applyEvent(db(), statusChanged(tripId, 'EXPIRED', 'REQUESTED'));
    expect((await tripState(db(), tripId)).trip!.status).toBe('CANCELLED');
  });

  it('applies a newer plan of the trip and ignores one older than the plan it holds', async () => {
    const agency = await registerAgency(db());
    const tripId = await requestTrip(db(), { preferredAgencyIds: [agency] });
    const plan = (version: number, destinationFacilityId: string) =>
      eventOf('TripPlanChanged', tripId, {
        tripId,
        hospitalId: newId(),
        version,
        destinationFacilityId,
        transportLevel: 'ALS',
        priority: 'EMERGENT',
        specialRequirements: ['CARDIAC_MONITOR'],
        scheduledPickupAt: minutesFromNow(45),
      });
    const newer = newId();
    await applyEvent(db(), plan(4, newer));
    await applyEvent(db(), plan(3, newId()));
    await applyEvent(db(), plan(4, newId()));
    expect((await tripState(db(), tripId)).trip).toMatchObject({
      version: 4,
      destination_facility_id: newer,
      transport_level: 'ALS',
      priority: 'EMERGENT',
      special_requirements: ['CARDIAC_MONITOR'],
    });
  });
});

describe('the offer expiry sweep', () => {
  const overdueTrip = async (agencies: string[]) => requestTrip(db(), { preferredAgencyIds: agencies, responseDeadline: minutesFromNow(-1) });

  it('expires trips still REQUESTED past their deadline, with their waiting offers, once, even when two replicas sweep at once', async () => {
    const agencyA = await registerAgency(db());
    const agencyB = await registerAgency(db());
    const overdue = await Promise.all(Array.from({ length: 7 }, () => overdueTrip([agencyA, agencyB])));
    const open = await requestTrip(db(), { preferredAgencyIds: [agencyA], responseDeadline: minutesFromNow(30) });
    const declined = await overdueTrip([agencyA]);
    await db().updateTable('trip_responses').set({ status: 'DECLINED', decline_reason: 'No crew' }).where('trip_id', '=', declined).execute();

    // Two replicas at once, in small batches so that they meet on the same rows.
    await Promise.all([expireOverdueOffers(db(), new Date(), 2), expireOverdueOffers(db(), new Date(), 2)]);

    for (const tripId of [...overdue, declined]) {
      const { trip, responses } = await tripState(db(), tripId);
      expect(trip!.status).toBe('EXPIRED');
      expect(responses.every((response) => response.status === (response.trip_id === declined ? 'DECLINED' : 'EXPIRED'))).toBe(true);
      expect(await outbox(db(), 'TripProgressReported', tripId)).toEqual([
        { tripId, status: 'EXPIRED', agencyId: null, unitId: null, etaMinutes: null, reportedById: null, occurredAt: trip!.response_deadline.toISOString() },
      ]);
    }
    expect((await tripState(db(), open)).trip!.status).toBe('REQUESTED');
    expect(await expireOverdueOffers(db())).toBe(0);
    const late = await service.asViewer(staffOf(agencyA), RESPOND, { tripId: overdue[0], input: { decision: 'ACCEPT', etaMinutes: 5 } });
    expect(errorCodes(late)).toEqual(['CONFLICT']);
  });

  it('never both expires and accepts a trip: each trip raced by a sweep and an acceptance ends one way only', async () => {
    const agency = await registerAgency(db());
    const dispatcher = staffOf(agency);
    const trips = await Promise.all(Array.from({ length: 6 }, () => requestTrip(db(), { preferredAgencyIds: [agency], responseDeadline: minutesFromNow(20) })));
    // The sweep runs as if the deadlines had passed while the acceptances still see them ahead.
    const [answers] = await Promise.all([
      Promise.all(trips.map((tripId) => service.asViewer(dispatcher, RESPOND, { tripId, input: { decision: 'ACCEPT', etaMinutes: 9 } }))),
      expireOverdueOffers(db(), new Date(Date.now() + 60 * 60_000), 1),
    ]);
    await expireOverdueOffers(db(), new Date(Date.now() + 60 * 60_000));
    for (const [index, tripId] of trips.entries()) {
      const { trip, responses } = await tripState(db(), tripId);
      const reported = (await outbox(db(), 'TripProgressReported', tripId)).map((event) => event.status);
      if (answers[index]!.errors) {
        expect(errorCodes(answers[index]!)).toEqual(['CONFLICT']);
        expect([trip!.status, responses[0]!.status, reported]).toEqual(['EXPIRED', 'EXPIRED', ['EXPIRED']]);
      } else {
        expect([trip!.status, responses[0]!.status, reported]).toEqual(['ACCEPTED', 'ACCEPTED', ['ACCEPTED']]);
      }
    }
  });

  it('runs on its own at the configured interval', async () => {
    const job = emsSubgraph.jobs!.find((candidate) => candidate.name === 'ems.expire-offers')!;
    expect(job.intervalMs(service.config)).toBe(service.config.workflow.offerExpirySweepMs);

    const sweeping = await startTestEms({ env: { OFFER_EXPIRY_SWEEP_MS: '50' } });
    try {
      const sweepingDb = sweeping.ems.database.db;
      const agency = await registerAgency(sweepingDb);
      const tripId = await requestTrip(sweepingDb, { preferredAgencyIds: [agency], responseDeadline: minutesFromNow(-1) });
      let status: TransportStatus | undefined;
      for (let attempt = 0; attempt < 200 && status !== 'EXPIRED'; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        status = (await tripState(sweepingDb, tripId)).trip!.status;
      }
      expect(status).toBe('EXPIRED');
    } finally {
      await sweeping.stop();
    }
  });
});
