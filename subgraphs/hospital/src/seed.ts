import { label } from '@medport/database';
import { demo, MILESTONE_COLUMN, newId } from '@medport/domain';
import { publishEvents } from '@medport/events';
import type { Kysely, Transaction } from 'kysely';
import type { HospitalDatabase } from './database.js';

/** Seeds the hospital silo's part of the demo network, unless it already holds facilities. */
export async function seedHospitalDemoData(db: Kysely<HospitalDatabase>, trips?: number): Promise<boolean> {
  const existing = await db.selectFrom('facilities').select('id').limit(1).modifyEnd(label('seedCheck')).executeTakeFirst();
  if (existing) return false;
  const network = demo.buildDemoNetwork(new Date(), trips);

  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('facilities')
      .values(
        network.facilities.map((facility) => ({
          id: facility.id,
          hospital_id: facility.hospitalId,
          name: facility.name,
          type: facility.type,
          address_line: facility.addressLine,
          city: facility.city,
          state: facility.state,
          postal_code: facility.postalCode,
          latitude: facility.latitude,
          longitude: facility.longitude,
          phone: facility.phone,
          email: null,
          operating_hours: '24/7',
          capabilities: facility.capabilities,
        })),
      )
      .execute();

    await trx
      .insertInto('network_agencies')
      .values(network.agencies.map((agency) => ({ id: agency.id, name: agency.name, status: 'ACTIVE' as const, registered_at: new Date(), status_changed_at: new Date() })))
      .execute();

    await trx
      .insertInto('agency_preferences')
      .values(
        network.preferences.map((preference) => ({
          id: newId(),
          hospital_id: preference.hospitalId,
          agency_id: preference.agencyId,
          preference_order: preference.preferenceOrder,
        })),
      )
      .execute();

    for (let start = 0; start < network.trips.length; start += 100) {
      const batch = network.trips.slice(start, start + 100);
      await trx
        .insertInto('transport_requests')
        .values(
          batch.map((trip) => {
            const milestones = Object.fromEntries(
              trip.milestones.map((milestone) => [MILESTONE_COLUMN[milestone.status], milestone.at]),
            );
            const last = trip.milestones[trip.milestones.length - 1]!.at;
            return {
              id: trip.id,
              hospital_id: trip.hospitalId,
              patient_reference: trip.patientReference,
              origin_facility_id: trip.originFacilityId,
              destination_facility_id: trip.destinationFacilityId,
              transport_level: trip.transportLevel,
              priority: trip.priority,
              status: trip.status,
              special_requirements: trip.specialRequirements,
              notes: null,
              scheduled_pickup_at: trip.scheduledPickupAt,
              requested_at: trip.milestones[0]!.at,
              ...milestones,
              assigned_agency_id: trip.assignedAgencyId,
              assigned_unit_id: trip.assignedUnitId,
              created_by_id: trip.createdById,
              cancellation_reason: trip.cancellation?.reason ?? null,
              cancellation_party: trip.cancellation?.party ?? null,
              cancellation_notes: trip.cancellation?.notes ?? null,
              version: trip.milestones.length,
              created_at: trip.milestones[0]!.at,
              updated_at: last,
            };
          }),
        )
        .execute();
      await trx
        .insertInto('trip_history')
        .values(
          batch.flatMap((trip) =>
            trip.milestones.map((milestone) => ({
              id: newId(),
              transport_request_id: trip.id,
              status: milestone.status,
              occurred_at: milestone.at,
              notes: null,
              updated_by_id: milestone.status === 'REQUESTED' || milestone.status === 'CANCELLED' ? trip.createdById : null,
            })),
          ),
        )
        .execute();
    }
    await publishDemoHistory(trx, network);
  });
  return true;
}

/**
 * The demo's trips as the events that would have told the other silos about them: the center builds its facts
 * from these, as from any trip, so its analytics can always be rebuilt from the event history. ems, seeded with its
 * own copy of each trip, finds them known already and does nothing.
 */
async function publishDemoHistory(trx: Transaction<HospitalDatabase>, network: demo.DemoNetwork) {
  const facilities = new Map(network.facilities.map((facility) => [facility.id, facility]));
  const preferred = (hospitalId: string) =>
    network.preferences
      .filter((preference) => preference.hospitalId === hospitalId)
      .sort((a, b) => a.preferenceOrder - b.preferenceOrder)
      .map((preference) => preference.agencyId);
  await publishEvents(
    trx,
    'TripRequested',
    network.trips.map((trip) => {
      const origin = facilities.get(trip.originFacilityId)!;
      return {
        aggregateId: trip.id,
        payload: {
          tripId: trip.id,
          hospitalId: trip.hospitalId,
          originFacilityId: trip.originFacilityId,
          destinationFacilityId: trip.destinationFacilityId,
          origin: { latitude: origin.latitude, longitude: origin.longitude },
          transportLevel: trip.transportLevel,
          priority: trip.priority,
          specialRequirements: trip.specialRequirements,
          requestedAt: trip.milestones[0]!.at.toISOString(),
          scheduledPickupAt: trip.scheduledPickupAt?.toISOString() ?? null,
          responseDeadline: trip.responseDeadline.toISOString(),
          preferredAgencyIds: preferred(trip.hospitalId),
          createdById: trip.createdById,
        },
      };
    }),
  );
  await publishEvents(
    trx,
    'TripStatusChanged',
    network.trips.flatMap((trip) =>
      trip.milestones.slice(1).map((milestone, index) => ({
        aggregateId: trip.id,
        payload: {
          tripId: trip.id,
          hospitalId: trip.hospitalId,
          status: milestone.status,
          previousStatus: trip.milestones[index]!.status,
          occurredAt: milestone.at.toISOString(),
          agencyId: milestone.status === 'EXPIRED' ? null : trip.assignedAgencyId,
          unitId: trip.assignedUnitId,
          cancellation: milestone.status === 'CANCELLED' && trip.cancellation ? { reason: trip.cancellation.reason, party: trip.cancellation.party } : null,
        },
      })),
    ),
  );
}
