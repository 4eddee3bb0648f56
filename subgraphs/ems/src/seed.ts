import { publishEvents } from '@medport/events';
import { label } from '@medport/database';
import { demo, newId, stableId } from '@medport/domain';
import type { Kysely } from 'kysely';
import type { EmsDatabase } from './database.js';
import type { NewRouteRow, Waypoint } from './modules/routes/routes.table.js';
import type { NewServiceAreaRow } from './modules/service-areas/service-areas.table.js';
import type { NewUnitAvailabilityRow } from './modules/units/units.table.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Rows in slices of at most `size`, so no single insert grows without bound as the demo network grows. */
function batches<T>(rows: readonly T[], size = 100): T[][] {
  const slices: T[][] = [];
  for (let start = 0; start < rows.length; start += size) slices.push(rows.slice(start, start + size));
  return slices;
}

/** Great-circle distance in kilometres. */
function distanceKm(from: Waypoint, to: Waypoint): number {
  const radians = (degrees: number) => (degrees * Math.PI) / 180;
  const dLat = radians(to.latitude - from.latitude);
  const dLon = radians(to.longitude - from.longitude);
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(radians(from.latitude)) * Math.cos(radians(to.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(a));
}

/** A planned route through `waypoints`: roads run about a quarter longer than the straight line, at about 45 km/h in town. */
function plannedRoute(waypoints: Waypoint[]) {
  const straight = waypoints.slice(1).reduce((total, point, index) => total + distanceKm(waypoints[index]!, point), 0);
  const road = Math.round(straight * 1.25 * 10) / 10;
  return { waypoints: JSON.stringify(waypoints), distance_km: road, estimated_minutes: Math.max(1, Math.round((road / 45) * 60)) };
}

/** Seeds the ems silo's part of the demo network, unless it already holds agencies. */
export async function seedEmsDemoData(db: Kysely<EmsDatabase>, trips?: number): Promise<boolean> {
  const existing = await db.selectFrom('agencies').select('id').limit(1).modifyEnd(label('seedCheck')).executeTakeFirst();
  if (existing) return false;
  const now = new Date();
  const network = demo.buildDemoNetwork(now, trips);
  const centerAdminId = network.users.find((user) => user.role === 'CENTER_ADMIN')?.id ?? null;
  const mainCampusOf = (index: number) => {
    const hospital = network.hospitals[index % network.hospitals.length]!;
    return network.facilities.find((facility) => facility.hospitalId === hospital.id)!;
  };

  const serviceAreas: NewServiceAreaRow[] = network.agencies.flatMap((agency, index) => {
    const primary: NewServiceAreaRow = {
      id: stableId(`${agency.slug}/service-area-1`),
      agency_id: agency.id,
      name: `${agency.city} coverage`,
      center_latitude: agency.base.latitude,
      center_longitude: agency.base.longitude,
      radius_km: agency.serviceRadiusKm,
    };
    if (index % 2 === 1) return [primary];
    // Some agencies also keep a unit posted near a partner hospital; the last one has paused that post.
    const campus = mainCampusOf(index);
    return [
      primary,
      {
        id: stableId(`${agency.slug}/service-area-2`),
        agency_id: agency.id,
        name: `${campus.name} standby zone`,
        center_latitude: campus.latitude,
        center_longitude: campus.longitude,
        radius_km: 8,
        is_active: index !== network.agencies.length - 1,
      },
    ];
  });

  const routes: NewRouteRow[] = network.agencies.flatMap((agency, index) => {
    const campus = mainCampusOf(index);
    const campusPoint = { latitude: campus.latitude, longitude: campus.longitude };
    const midway = {
      latitude: Math.round(((agency.base.latitude + campus.latitude) / 2) * 1e5) / 1e5,
      longitude: Math.round(((agency.base.longitude + campus.longitude) / 2) * 1e5) / 1e5,
    };
    const corridor: NewRouteRow = {
      id: stableId(`${agency.slug}/route-1`),
      agency_id: agency.id,
      name: `Base to ${campus.name}`,
      route_type: 'TRANSFER_CORRIDOR',
      ...plannedRoute([agency.base, midway, campusPoint]),
      status: 'ACTIVE',
    };
    if (index % 2 === 1) return [corridor];
    return [
      corridor,
      {
        id: stableId(`${agency.slug}/route-2`),
        agency_id: agency.id,
        name: `${campus.name} to base`,
        route_type: 'RETURN_TO_BASE',
        ...plannedRoute([campusPoint, agency.base]),
        status: 'ACTIVE',
      },
    ];
  });

  const hour = (offset: number) => new Date(Math.floor(now.getTime() / HOUR) * HOUR + offset * HOUR);
  const availability: NewUnitAvailabilityRow[] = network.units.flatMap((unit, index): NewUnitAvailabilityRow[] => {
    if (unit.status === 'OUT_OF_SERVICE') {
      return [{ id: newId(), unit_id: unit.id, status: 'OUT_OF_SERVICE', starts_at: hour(-3), ends_at: null, notes: 'Scheduled maintenance' }];
    }
    if (index % 5 === 0) {
      return [
        { id: newId(), unit_id: unit.id, status: 'OUT_OF_SERVICE', starts_at: hour(-50), ends_at: hour(-46), notes: 'Oil change' },
        { id: newId(), unit_id: unit.id, status: 'OUT_OF_SERVICE', starts_at: hour(18), ends_at: hour(20), notes: 'Vehicle inspection' },
      ];
    }
    if (index % 5 === 2) {
      return [{ id: newId(), unit_id: unit.id, status: 'AVAILABLE', starts_at: hour(-1), ends_at: hour(5), notes: 'Standby post' }];
    }
    return [];
  });

  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('agencies')
      .values(
        network.agencies.map((agency, index) => ({
          id: agency.id,
          name: agency.name,
          contact_name: agency.contactName,
          phone: agency.phone,
          email: agency.email,
          address_line: agency.addressLine,
          city: agency.city,
          state: agency.state,
          postal_code: agency.postalCode,
          operating_hours: '24/7',
          levels: agency.levels,
          equipment: agency.equipment,
          pricing: JSON.stringify({ currency: 'USD', baseFee: 350 + index * 25, perKm: 4.5, afterHoursSurchargePercent: 15 }),
          status: 'ACTIVE' as const,
          added_by_id: centerAdminId,
          added_at: new Date(now.getTime() - (400 - index * 30) * DAY),
          created_at: new Date(now.getTime() - (400 - index * 30) * DAY),
        })),
      )
      .modifyEnd(label('seedAgencies'))
      .execute();

    for (const batch of batches(network.units)) {
      await trx
        .insertInto('units')
        .values(
          batch.map((unit, index) => ({
            id: unit.id,
            agency_id: unit.agencyId,
            unit_number: unit.unitNumber,
            level: unit.level,
            capabilities: unit.capabilities,
            status: unit.status,
            latitude: unit.latitude,
            longitude: unit.longitude,
            location_updated_at: new Date(now.getTime() - (index % 15) * MINUTE),
            shift_start: unit.shiftStart,
            shift_end: unit.shiftEnd,
          })),
        )
        .modifyEnd(label('seedUnits'))
        .execute();
    }
    for (const batch of batches(availability)) {
      await trx.insertInto('unit_availability').values(batch).modifyEnd(label('seedUnitAvailability')).execute();
    }
    for (const batch of batches(serviceAreas)) {
      await trx.insertInto('service_areas').values(batch).modifyEnd(label('seedServiceAreas')).execute();
    }
    for (const batch of batches(routes)) {
      await trx.insertInto('routes').values(batch).modifyEnd(label('seedRoutes')).execute();
    }

    for (const batch of batches(network.trips)) {
      await trx
        .insertInto('trips')
        .values(
          batch.map((trip) => ({
            id: trip.id,
            hospital_id: trip.hospitalId,
            origin_facility_id: trip.originFacilityId,
            destination_facility_id: trip.destinationFacilityId,
            transport_level: trip.transportLevel,
            priority: trip.priority,
            special_requirements: trip.specialRequirements,
            status: trip.status,
            requested_at: trip.milestones[0]!.at,
            scheduled_pickup_at: trip.scheduledPickupAt,
            response_deadline: trip.responseDeadline,
            assigned_agency_id: trip.assignedAgencyId,
            assigned_unit_id: trip.assignedUnitId,
            // The hospital's version after these milestones, so later events apply on top of the seeded state.
            version: trip.milestones.length,
            created_at: trip.milestones[0]!.at,
            updated_at: trip.milestones[trip.milestones.length - 1]!.at,
          })),
        )
        .modifyEnd(label('seedTrips'))
        .execute();
    }
    const responses = network.trips.flatMap((trip) =>
      trip.responses.map((response) => ({
        id: newId(),
        trip_id: trip.id,
        agency_id: response.agencyId,
        status: response.status,
        eta_minutes: response.etaMinutes,
        bid_amount: null,
        decline_reason: response.declineReason,
        notes: null,
        responded_at: response.respondedAt,
        created_at: trip.milestones[0]!.at,
        updated_at: response.respondedAt ?? trip.milestones[0]!.at,
      })),
    );
    for (const batch of batches(responses)) {
      await trx.insertInto('trip_responses').values(batch).modifyEnd(label('seedTripResponses')).execute();
    }
    // The demo's offers and answers as the events that told the center about them: its facts are built from events.
    await publishEvents(
      trx,
      'TripOffered',
      network.trips
        .filter((trip) => trip.offeredAgencyIds.length > 0)
        .map((trip) => ({
          aggregateId: trip.id,
          payload: { tripId: trip.id, hospitalId: trip.hospitalId, agencyIds: trip.offeredAgencyIds, offeredAt: trip.milestones[0]!.at.toISOString() },
        })),
    );
    await publishEvents(
      trx,
      'TripResponded',
      network.trips.flatMap((trip) =>
        trip.responses.flatMap((response) =>
          response.respondedAt && (response.status === 'ACCEPTED' || response.status === 'DECLINED')
            ? [
                {
                  aggregateId: trip.id,
                  payload: {
                    tripId: trip.id,
                    agencyId: response.agencyId,
                    decision: response.status,
                    etaMinutes: response.etaMinutes,
                    declineReason: response.declineReason,
                    respondedAt: response.respondedAt.toISOString(),
                  },
                },
              ]
            : [],
        ),
      ),
    );
  });
  return true;
}
