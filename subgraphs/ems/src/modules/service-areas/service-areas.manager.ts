import { auditedChange } from '@medport/audit';
import { requireActingFor, requireRole } from '@medport/auth';
import { newId, type UserRole } from '@medport/domain';
import { badInput, hiddenRecord, isId, notFound, requireGeoPoint, requireText } from '@medport/graphql';
import type { EmsContext } from '../../context.js';
import { reaches, scopeOf } from '../../scope.js';
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

/**
 * Where an agency takes trips decides which offers it receives: its administrators draw its areas, center
 * administrators any agency's. Dispatchers and crews work within them.
 */
const AREA_KEEPERS: readonly UserRole[] = ['EMS_ADMIN', 'CENTER_ADMIN'];

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

/** The area an area keeper may change; another agency's is NOT_FOUND to it, as it is absent from its reads. */
async function requireChangeableArea(context: EmsContext, id: string): Promise<ServiceAreaRow> {
  const area = isId(id) ? await findServiceAreaById(context.db, id) : undefined;
  if (!area) throw notFound('ServiceArea', id);
  if (!reaches(scopeOf(context).agencyRecords, area.agency_id)) throw hiddenRecord('ServiceArea', id);
  return area;
}

/** Adds an area to an agency: its own for an agency administrator (naming another one is FORBIDDEN). */
export function createServiceArea(context: EmsContext, input: CreateServiceAreaInput): Promise<ServiceAreaRow> {
  const target = { action: 'CREATE_SERVICE_AREA', entityType: 'ServiceArea', entityId: null, details: { agencyId: input.agencyId } };
  return auditedChange(context, target, async (commit) => {
    const viewer = requireRole(context.viewer, AREA_KEEPERS, 'add service areas');
    requireActingFor(viewer, input.agencyId, 'Service areas can only be added to your own agency.');
    const agency = isId(input.agencyId) ? await context.loaders.agency.load(input.agencyId) : null;
    if (!agency) throw notFound('Agency', input.agencyId);
    const name = requireText(input.name, 'name');
    const center = centerColumns(input.center);
    const radiusKm = requireRadius(input.radiusKm);
    return commit(
      (trx) => insertServiceArea(trx, { id: newId(), agency_id: agency.id, name, ...center, radius_km: radiusKm }),
      (area) => area.id,
    );
  });
}

export function changeServiceArea(context: EmsContext, id: string, input: UpdateServiceAreaInput): Promise<ServiceAreaRow> {
  const target = { action: 'UPDATE_SERVICE_AREA', entityType: 'ServiceArea', entityId: id, details: { fields: Object.keys(input).sort().join(',') } };
  return auditedChange(context, target, async (commit) => {
    requireRole(context.viewer, AREA_KEEPERS, 'change service areas');
    const area = await requireChangeableArea(context, id);
    const changes: ServiceAreaUpdate = {};
    if (input.name != null) changes.name = requireText(input.name, 'name');
    if (input.center != null) Object.assign(changes, centerColumns(input.center));
    if (input.radiusKm != null) changes.radius_km = requireRadius(input.radiusKm);
    if (input.isActive != null) changes.is_active = input.isActive;
    return commit(
      async (trx) => {
        if (Object.keys(changes).length === 0) return area;
        const updated = await updateServiceArea(trx, area.id, changes);
        if (!updated) throw notFound('ServiceArea', id);
        return updated;
      },
      (row) => row.id,
    );
  });
}

export function removeServiceArea(context: EmsContext, id: string): Promise<string> {
  return auditedChange(context, { action: 'DELETE_SERVICE_AREA', entityType: 'ServiceArea', entityId: id }, async (commit) => {
    requireRole(context.viewer, AREA_KEEPERS, 'delete service areas');
    const area = await requireChangeableArea(context, id);
    return commit(
      async (trx) => {
        const deleted = await deleteServiceArea(trx, area.id);
        if (!deleted) throw notFound('ServiceArea', id);
        return deleted;
      },
      (deletedId) => deletedId,
    );
  });
}
