import type { Viewer } from '@medport/auth';
import { EVENT_PRODUCER, newId, type EventContracts, type EventType, type TransportLevel, type UserRole } from '@medport/domain';
import type { FeedEvent, TypedEvent } from '@medport/events';
import type { Kysely, Transaction } from 'kysely';
import type { EmsDatabase } from '../src/index.js';
import { emsConsumers } from '../src/events.js';
import type { TestEms } from './ems-service.js';

/** An event as a feed would deliver it: a fresh id each time, like a new event of the producer. */
export function eventOf<T extends EventType>(type: T, aggregateId: string, payload: EventContracts[T]): TypedEvent<T> {
  return { id: newId(), type, aggregateId, occurredAt: new Date().toISOString(), payload, cursor: '1:1' };
}

/** Applies an event with the handler the ems consumer of its producer has registered, in one real transaction. */
export async function applyEvent(db: Kysely<EmsDatabase>, event: FeedEvent & { type: EventType }): Promise<void> {
  const consumer = emsConsumers.find((candidate) => candidate.source === EVENT_PRODUCER[event.type]);
  const handler = consumer?.handlers[event.type] as ((trx: Transaction<EmsDatabase>, event: FeedEvent) => Promise<void>) | undefined;
  if (!handler) throw new Error(`No ems consumer handles ${event.type}`);
  await db.transaction().execute((trx) => handler(trx, event));
}

let places = 0;

/**
 * A point on the map no other test of the file uses, far from the demo network and 2° (about 220 km) from the
 * previous one, so only a test's own agencies, with areas of a few tens of kilometres, cover it.
 */
export function freshPlace(): { latitude: number; longitude: number } {
  places += 1;
  return { latitude: -60 + places * 2, longitude: 120 };
}

/** A point `km` kilometres north of `from`. */
export function north(from: { latitude: number; longitude: number }, km: number) {
  return { latitude: from.latitude + km / 111.195, longitude: from.longitude };
}

export interface AgencySpec {
  levels?: TransportLevel[];
  status?: EventContracts['ServiceRegistered']['status'];
  area?: { latitude: number; longitude: number; radiusKm: number } | null;
}

export function registration(spec: AgencySpec = {}): EventContracts['ServiceRegistered'] {
  const agencyId = newId();
  return {
    agencyId,
    registrationId: newId(),
    name: `Test Agency ${agencyId.slice(0, 8)}`,
    status: spec.status ?? 'ACTIVE',
    levels: spec.levels ?? ['BLS', 'ALS'],
    equipment: ['OXYGEN'],
    phone: '412-555-0100',
    email: `dispatch-${agencyId.slice(0, 8)}@agency.test`,
    contactName: 'Dana Dispatch',
    address: { line: '1 Station Rd', city: 'Testville', state: 'PA', postalCode: '15000' },
    serviceArea: spec.area ? { name: 'Home', ...spec.area } : null,
    registeredById: newId(),
    registeredAt: new Date().toISOString(),
  };
}

/** Registers an agency through the center's event, as agencies join the network; returns its id. */
export async function registerAgency(db: Kysely<EmsDatabase>, spec: AgencySpec = {}): Promise<string> {
  const payload = registration(spec);
  await applyEvent(db, eventOf('ServiceRegistered', payload.agencyId, payload));
  return payload.agencyId;
}

const MINUTE = 60_000;

export function tripRequest(overrides: Partial<EventContracts['TripRequested']> = {}): EventContracts['TripRequested'] {
  const requestedAt = new Date();
  return {
    tripId: newId(),
    hospitalId: newId(),
    originFacilityId: newId(),
    destinationFacilityId: newId(),
    origin: freshPlace(),
    transportLevel: 'BLS',
    priority: 'URGENT',
    specialRequirements: ['OXYGEN'],
    requestedAt: requestedAt.toISOString(),
    scheduledPickupAt: null,
    responseDeadline: new Date(requestedAt.getTime() + 30 * MINUTE).toISOString(),
    preferredAgencyIds: [],
    createdById: newId(),
    ...overrides,
  };
}

/** Requests a trip as the hospital does (its TripRequested event); returns the trip id. */
export async function requestTrip(db: Kysely<EmsDatabase>, overrides: Partial<EventContracts['TripRequested']> = {}): Promise<string> {
  const payload = tripRequest(overrides);
  await applyEvent(db, eventOf('TripRequested', payload.tripId, payload));
  return payload.tripId;
}

export const minutesFromNow = (minutes: number) => new Date(Date.now() + minutes * MINUTE).toISOString();

/** An account of an agency made for a test. */
export const staffOf = (agencyId: string, role: Extract<UserRole, 'EMS_ADMIN' | 'EMS_DISPATCHER' | 'EMS_CREW'> = 'EMS_DISPATCHER'): Viewer => ({
  userId: newId(),
  role,
  hospitalId: null,
  agencyId,
});

/** The outbox events of a type about one trip, oldest first, with their payloads. */
export async function outbox<T extends EventType>(db: Kysely<EmsDatabase>, type: T, aggregateId: string): Promise<EventContracts[T][]> {
  const rows = await db
    .selectFrom('outbox_events')
    .select('payload')
    .where('type', '=', type)
    .where('aggregate_id', '=', aggregateId)
    .orderBy('position')
    .execute();
  return rows.map((row) => row.payload as EventContracts[T]);
}

/** Everything a trip is in this silo: the copy, its responses by agency, its events; for before/after comparisons. */
export async function tripState(db: Kysely<EmsDatabase>, tripId: string) {
  const [trip, responses, events, progress] = await Promise.all([
    db.selectFrom('trips').selectAll().where('id', '=', tripId).executeTakeFirst(),
    db.selectFrom('trip_responses').selectAll().where('trip_id', '=', tripId).orderBy('agency_id').execute(),
    db.selectFrom('outbox_events').select(['type', 'payload']).where('aggregate_id', '=', tripId).orderBy('position').execute(),
    db.selectFrom('trip_progress').selectAll().where('trip_id', '=', tripId).orderBy('occurred_at').execute(),
  ]);
  return { trip, responses, events, progress };
}

export const RESPOND = `mutation Respond($tripId: ID!, $input: RespondToTripInput!) {
  respondToTrip(tripId: $tripId, input: $input) { id status etaMinutes bidAmount declineReason respondedAt agency { id } }
}`;

export const ASSIGN = `mutation Assign($tripId: ID!, $unitId: ID!) {
  assignUnit(tripId: $tripId, unitId: $unitId) { id status assignedUnit { id status } response { status } }
}`;

export const PROGRESS = `mutation Progress($tripId: ID!, $status: TransportStatus!, $notes: String) {
  reportTripProgress(tripId: $tripId, status: $status, notes: $notes) { id status assignedUnit { id status } }
}`;

/** Accepts a trip for an agency over HTTP, failing the test when it does not succeed. */
export async function accept(service: TestEms, viewer: Viewer, tripId: string, etaMinutes = 15): Promise<void> {
  const response = await service.asViewer(viewer, RESPOND, { tripId, input: { decision: 'ACCEPT', etaMinutes } });
  if (response.errors) throw new Error(`accepting failed: ${JSON.stringify(response.errors)}`);
}

/** Adds a unit to an agency over HTTP, as its dispatcher does; returns its id. */
export async function addUnit(service: TestEms, viewer: Viewer, level: TransportLevel = 'BLS'): Promise<string> {
  const response = await service.asViewer<{ createUnit: { id: string } }>(
    viewer,
    `mutation ($input: CreateUnitInput!) { createUnit(input: $input) { id } }`,
    { input: { agencyId: viewer.agencyId, unitNumber: `U-${newId().slice(0, 8)}`, level } },
  );
  if (response.errors) throw new Error(`adding a unit failed: ${JSON.stringify(response.errors)}`);
  return response.data!.createUnit.id;
}
