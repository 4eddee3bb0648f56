import { newId } from '@medport/domain';
import { badInput, isId, notFound, requireGeoPoint, requireText } from '@medport/graphql';
import type { EmsContext } from '../../context.js';
import { deleteServiceArea, findServiceAreaById, insertServiceArea, updateServiceArea } from './service-areas.repository.js';
import type { ServiceAreaRow, ServiceAreaUpdate } from './service-areas.table.js';

export interface CreateServiceAreaInput {
  agencyId: string;
  name: string;
  center: { latitude: number; longitude: number };
  radiusKm: number;
}

export type UpdateServiceAreaInput = Partial<Omit<CreateServiceAreaInput, 'agencyId'>> & { isActive?: boolean | null };

/** Wider than any ground transport region; a larger value is a unit mix-up (metres, miles), not a plan. */
export const MAX_SERVICE_RADIUS_KM = 500;

function requireRadius(radiusKm: number): number {
  if (!(radiusKm > 0 && radiusKm <= MAX_SERVICE_RADIUS_KM)) {
    throw badInput(`\`radiusKm\` must be more than 0 and at most ${MAX_SERVICE_RADIUS_KM}.`, 'radiusKm');
  }
  return radiusKm;
}

function centerColumns(center: { latitude: number; longitude: number }) {
  const point = requireGeoPoint(center, 'center');
  return { center_latitude: point.latitude, center_longitude: point.longitude };
}

export async function createServiceArea(context: EmsContext, input: CreateServiceAreaInput): Promise<ServiceAreaRow> {
  const name = requireText(input.name, 'name');
  const center = centerColumns(input.center);
  const radiusKm = requireRadius(input.radiusKm);
  const agency = isId(input.agencyId) ? await context.loaders.agency.load(input.agencyId) : null;
  if (!agency) throw notFound('Agency', input.agencyId);
  return insertServiceArea(context.db, { id: newId(), agency_id: agency.id, name, ...center, radius_km: radiusKm });
}

export async function changeServiceArea(context: EmsContext, id: string, input: UpdateServiceAreaInput): Promise<ServiceAreaRow> {
  if (!isId(id)) throw notFound('ServiceArea', id);
  const changes: ServiceAreaUpdate = {};
  if (input.name != null) changes.name = requireText(input.name, 'name');
  if (input.center != null) Object.assign(changes, centerColumns(input.center));
  if (input.radiusKm != null) changes.radius_km = requireRadius(input.radiusKm);
  if (input.isActive != null) changes.is_active = input.isActive;
  const updated =
    Object.keys(changes).length === 0 ? await findServiceAreaById(context.db, id) : await updateServiceArea(context.db, id, changes);
  if (!updated) throw notFound('ServiceArea', id);
  return updated;
}

export async function removeServiceArea(context: EmsContext, id: string): Promise<string> {
  const deleted = isId(id) ? await deleteServiceArea(context.db, id) : undefined;
  if (!deleted) throw notFound('ServiceArea', id);
  return deleted;
}
