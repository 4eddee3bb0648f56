import { newId } from '@medport/domain';
import type { TypedEvent } from '@medport/events';
import type { Transaction } from 'kysely';
import type { EmsDatabase } from '../../database.js';
import { insertServiceArea } from '../service-areas/service-areas.repository.js';
import { insertRegisteredAgency, setAgencyStatus } from './agencies.repository.js';

/**
 * The center registered an agency: it joins the network here, under the id the center gave it, with the service
 * area it was registered with. Applying a registration again (a replayed feed) finds the agency and adds nothing.
 */
export async function onServiceRegistered(trx: Transaction<EmsDatabase>, event: TypedEvent<'ServiceRegistered'>): Promise<void> {
  const registration = event.payload;
  const registeredAt = new Date(registration.registeredAt);
  const agency = await insertRegisteredAgency(trx, {
    id: registration.agencyId,
    name: registration.name,
    contact_name: registration.contactName,
    phone: registration.phone,
    email: registration.email,
    address_line: registration.address.line,
    city: registration.address.city,
    state: registration.address.state,
    postal_code: registration.address.postalCode,
    operating_hours: null,
    levels: registration.levels,
    equipment: registration.equipment,
    pricing: null,
    status: registration.status,
    status_changed_at: registeredAt,
    added_by_id: registration.registeredById,
    added_at: registeredAt,
    created_at: registeredAt,
  });
  if (!agency || !registration.serviceArea) return;
  const area = registration.serviceArea;
  await insertServiceArea(trx, {
    id: newId(),
    agency_id: agency.id,
    name: area.name,
    center_latitude: area.latitude,
    center_longitude: area.longitude,
    radius_km: area.radiusKm,
  });
}

/**
 * The center suspended or reactivated an agency: a suspended agency is offered no new trips (dispatch takes ACTIVE
 * agencies only); the trips it accepted go on. An agency ems has not received yet is a fault to park behind its
 * registration, not to drop.
 */
export async function onServiceStatusChanged(trx: Transaction<EmsDatabase>, event: TypedEvent<'ServiceStatusChanged'>): Promise<void> {
  const { agencyId, status, changedAt } = event.payload;
  if (!(await setAgencyStatus(trx, agencyId, status, new Date(changedAt)))) throw new Error(`Agency ${agencyId} is unknown to the ems silo.`);
}
