import { auditedChange } from '@medport/audit';
import { newId, type FacilityType, type SpecialRequirement } from '@medport/domain';
import {
  addressColumns,
  badInput,
  groupConnection,
  isId,
  notFound,
  optionalText,
  parsePage,
  requireDistinct,
  requireGeoPoint,
  requireText,
  toConnection,
  type AddressInput,
  type Connection,
  type PageArgs,
} from '@medport/graphql';
import { requireRole } from '@medport/auth';
import { requireHospitalAdminOf } from '../../access.js';
import type { HospitalContext } from '../../context.js';
import { insertFacility, listFacilities, updateFacility, type FacilityFilter } from './facilities.repository.js';
import type { FacilityRow, FacilityUpdate, NewFacilityRow } from './facilities.table.js';

export interface CreateFacilityInput {
  hospitalId: string;
  name: string;
  type: FacilityType;
  address: AddressInput;
  coordinates: { latitude: number; longitude: number };
  phone?: string | null;
  email?: string | null;
  operatingHours?: string | null;
  capabilities?: SpecialRequirement[] | null;
}

export type UpdateFacilityInput = Partial<Omit<CreateFacilityInput, 'hospitalId'>> & { isActive?: boolean | null };

const facilityCursor = (row: FacilityRow) => ({ key: row.name, id: row.id });

export async function facilityConnection(context: HospitalContext, filter: FacilityFilter, args: PageArgs): Promise<Connection<FacilityRow>> {
  if (filter.hospitalId && !isId(filter.hospitalId)) throw badInput('`filter.hospitalId` is not a valid id.', 'filter.hospitalId');
  const page = parsePage(args);
  const rows = await listFacilities(context.db, filter, page);
  return toConnection(rows, page, facilityCursor);
}

/** One hospital's page of facilities; the pages of all hospitals in a list are fetched together. */
export async function hospitalFacilityConnection(
  context: HospitalContext,
  hospitalId: string,
  args: PageArgs & { includeInactive?: boolean | null },
): Promise<Connection<FacilityRow>> {
  return groupConnection(context.loaders.facilityPagesOfHospitals, hospitalId, { includeInactive: args.includeInactive ?? false }, args, facilityCursor);
}

export async function getFacility(context: HospitalContext, id: string): Promise<FacilityRow> {
  const facility = isId(id) ? await context.loaders.facility.load(id) : null;
  if (!facility) throw notFound('Facility', id);
  return facility;
}

const MANAGE_FACILITIES = 'manage facilities';

/** Facilities are added by the hospital's own administrators or by center administrators. */
export function createFacility(context: HospitalContext, input: CreateFacilityInput): Promise<FacilityRow> {
  const target = { action: 'CREATE_FACILITY', entityType: 'Facility', entityId: null, details: { hospitalId: input.hospitalId } };
  return auditedChange(context, target, async (commit) => {
    requireHospitalAdminOf(context.viewer, input.hospitalId, MANAGE_FACILITIES);
    if (!isId(input.hospitalId)) throw notFound('Hospital', input.hospitalId);
    const coordinates = requireGeoPoint(input.coordinates, 'coordinates');
    const row: NewFacilityRow = {
      id: newId(),
      hospital_id: input.hospitalId,
      name: requireText(input.name, 'name'),
      type: input.type,
      ...addressColumns(input.address),
      latitude: coordinates.latitude,
      longitude: coordinates.longitude,
      phone: optionalText(input.phone, 'phone', 40),
      email: optionalText(input.email, 'email', 200),
      operating_hours: optionalText(input.operatingHours, 'operatingHours', 200),
      capabilities: [...requireDistinct(input.capabilities ?? [], 'capabilities')],
    };
    return commit((trx) => insertFacility(trx, row), (facility) => facility.id);
  });
}

/** Facilities are changed by the administrators of the hospital that runs them or by center administrators. */
export function changeFacility(context: HospitalContext, id: string, input: UpdateFacilityInput): Promise<FacilityRow> {
  const target = { action: 'UPDATE_FACILITY', entityType: 'Facility', entityId: id, details: { fields: Object.keys(input).sort().join(',') } };
  return auditedChange(context, target, async (commit) => {
    // Roles that may never manage facilities are refused before the id is looked at.
    requireRole(context.viewer, ['HOSPITAL_ADMIN', 'CENTER_ADMIN'], MANAGE_FACILITIES);
    const facility = await getFacility(context, id);
    requireHospitalAdminOf(context.viewer, facility.hospital_id, MANAGE_FACILITIES);
    const changes: FacilityUpdate = {};
    if (input.name != null) changes.name = requireText(input.name, 'name');
    if (input.type != null) changes.type = input.type;
    if (input.address != null) Object.assign(changes, addressColumns(input.address));
    if (input.coordinates != null) {
      const coordinates = requireGeoPoint(input.coordinates, 'coordinates');
      changes.latitude = coordinates.latitude;
      changes.longitude = coordinates.longitude;
    }
    if (input.phone !== undefined) changes.phone = optionalText(input.phone, 'phone', 40);
    if (input.email !== undefined) changes.email = optionalText(input.email, 'email', 200);
    if (input.operatingHours !== undefined) changes.operating_hours = optionalText(input.operatingHours, 'operatingHours', 200);
    if (input.capabilities != null) changes.capabilities = [...requireDistinct(input.capabilities, 'capabilities')];
    if (input.isActive != null) changes.is_active = input.isActive;
    const updated = await commit(
      async (trx) => {
        const row = await updateFacility(trx, facility.id, changes);
        if (!row) throw notFound('Facility', id);
        return row;
      },
      (row) => row.id,
    );
    context.loaders.facility.clear(id).prime(updated.id, updated);
    return updated;
  });
}
