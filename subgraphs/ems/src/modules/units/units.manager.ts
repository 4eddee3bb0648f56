import { auditedChange } from '@medport/audit';
import { requireActingFor, requireRole } from '@medport/auth';
import { isUniqueViolation } from '@medport/database';
import { newId, type SpecialRequirement, type TransportLevel, type UnitStatus, type UserRole } from '@medport/domain';
import {
  badInput,
  conflict,
  groupConnection,
  hiddenRecord,
  isId,
  notFound,
  parsePage,
  requireDistinct,
  requireGeoPoint,
  requireText,
  toConnection,
  type Connection,
  type PageArgs,
} from '@medport/graphql';
import type { EmsContext } from '../../context.js';
import { reaches, scopeOf } from '../../scope.js';
import { findUnitById, insertUnit, listUnits, updateUnit, type UnitFilter } from './units.repository.js';
import type { UnitRow, UnitUpdate } from './units.table.js';

export interface GeoPointInput {
  latitude: number;
  longitude: number;
}

export interface CreateUnitInput {
  agencyId: string;
  unitNumber: string;
  level: TransportLevel;
  capabilities?: SpecialRequirement[] | null;
  shiftStart?: string | null;
  shiftEnd?: string | null;
  location?: GeoPointInput | null;
}

export interface UpdateUnitInput {
  unitNumber?: string | null;
  level?: TransportLevel | null;
  capabilities?: SpecialRequirement[] | null;
  status?: UnitStatus | null;
  location?: GeoPointInput | null;
  shiftStart?: string | null;
  shiftEnd?: string | null;
  isActive?: boolean | null;
}

export interface UnitFilterInput {
  agencyId?: string | null;
  status?: UnitStatus[] | null;
  level?: TransportLevel[] | null;
  includeInactive?: boolean | null;
}

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** Who keeps a fleet: the agency's administrators and dispatchers for their own agency, center admins for any. */
const FLEET_MANAGERS: readonly UserRole[] = ['EMS_ADMIN', 'EMS_DISPATCHER', 'CENTER_ADMIN'];

export function toRepositoryFilter(input: UnitFilterInput): UnitFilter {
  if (input.agencyId && !isId(input.agencyId)) throw badInput('`filter.agencyId` is not a valid id.', 'filter.agencyId');
  return {
    agencyId: input.agencyId ?? null,
    statuses: input.status ?? null,
    levels: input.level ?? null,
    includeInactive: input.includeInactive ?? false,
  };
}

const unitCursor = (row: UnitRow) => ({ key: row.unit_number, id: row.id });

export async function unitConnection(context: EmsContext, filter: UnitFilter, args: PageArgs): Promise<Connection<UnitRow>> {
  const page = parsePage(args);
  const rows = await listUnits(context.db, scopeOf(context).agencyRecords, filter, page);
  return toConnection(rows, page, unitCursor);
}

/** One agency's page of units; the pages of all agencies in a list are fetched together. */
export async function agencyUnitConnection(
  context: EmsContext,
  agencyId: string,
  args: PageArgs & { includeInactive?: boolean | null },
): Promise<Connection<UnitRow>> {
  return groupConnection(context.loaders.unitPagesOfAgencies, agencyId, { includeInactive: args.includeInactive ?? false }, args, unitCursor);
}

function requireShiftTime(value: string, field: string): string {
  const time = value.trim();
  if (!HH_MM.test(time)) throw badInput(`\`${field}\` must be a time of day as 'HH:MM' (00:00–23:59).`, field);
  return time;
}

/**
 * A shift is both of its ends or none: a start without an end cannot say when the unit is on duty. Both are
 * given together, on create and on update, so the rule holds without reading the stored row.
 */
function shiftColumns(shiftStart: string | null | undefined, shiftEnd: string | null | undefined) {
  if ((shiftStart == null) !== (shiftEnd == null)) {
    throw badInput('Give both `shiftStart` and `shiftEnd`, or neither.', shiftStart == null ? 'shiftStart' : 'shiftEnd');
  }
  return {
    shift_start: shiftStart == null ? null : requireShiftTime(shiftStart, 'shiftStart'),
    shift_end: shiftEnd == null ? null : requireShiftTime(shiftEnd, 'shiftEnd'),
  };
}

function locationColumns(location: GeoPointInput | null) {
  if (!location) return { latitude: null, longitude: null, location_updated_at: null };
  const point = requireGeoPoint(location, 'location');
  return { latitude: point.latitude, longitude: point.longitude, location_updated_at: new Date() };
}

async function withUniqueUnitNumber<T>(unitNumber: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error, 'units_agency_unit_number_key')) {
      throw conflict(`The agency already has a unit numbered "${unitNumber}".`);
    }
    throw error;
  }
}

/** A unit the caller sees; one outside its scope is NOT_FOUND, exactly like an unknown id. */
export async function getUnit(context: EmsContext, id: string): Promise<UnitRow> {
  const unit = isId(id) ? await context.loaders.unit.load(id) : null;
  if (!unit) throw notFound('Unit', id);
  return unit;
}

/** The unit a fleet manager may change; another agency's is NOT_FOUND to it, as when reading it. */
async function requireChangeableUnit(context: EmsContext, id: string): Promise<UnitRow> {
  const unit = isId(id) ? await findUnitById(context.db, id) : undefined;
  if (!unit) throw notFound('Unit', id);
  if (!reaches(scopeOf(context).agencyRecords, unit.agency_id)) throw hiddenRecord('Unit', id);
  return unit;
}

/** Adds a unit, to its own fleet for an agency's account (another agency's is FORBIDDEN). */
export function createUnit(context: EmsContext, input: CreateUnitInput): Promise<UnitRow> {
  const target = { action: 'CREATE_UNIT', entityType: 'Unit', entityId: null, details: { agencyId: input.agencyId } };
  return auditedChange(context, target, async (commit) => {
    const viewer = requireRole(context.viewer, FLEET_MANAGERS, 'add units');
    requireActingFor(viewer, input.agencyId, 'Units can only be added to your own agency.');
    const agency = isId(input.agencyId) ? await context.loaders.agency.load(input.agencyId) : null;
    if (!agency) throw notFound('Agency', input.agencyId);
    const unitNumber = requireText(input.unitNumber, 'unitNumber', 40);
    const capabilities = [...requireDistinct(input.capabilities ?? [], 'capabilities')];
    const shift = shiftColumns(input.shiftStart, input.shiftEnd);
    const location = locationColumns(input.location ?? null);
    return commit(
      (trx) =>
        withUniqueUnitNumber(unitNumber, () =>
          insertUnit(trx, {
            id: newId(),
            agency_id: agency.id,
            unit_number: unitNumber,
            level: input.level,
            capabilities,
            ...shift,
            ...location,
          }),
        ),
      (unit) => unit.id,
    );
  });
}

export function changeUnit(context: EmsContext, id: string, input: UpdateUnitInput): Promise<UnitRow> {
  const target = { action: 'UPDATE_UNIT', entityType: 'Unit', entityId: id, details: { fields: Object.keys(input).sort().join(',') } };
  return auditedChange(context, target, async (commit) => {
    requireRole(context.viewer, FLEET_MANAGERS, 'change units');
    const unit = await requireChangeableUnit(context, id);
    const changes = unitChanges(input);
    return commit(
      async (trx) => {
        if (Object.keys(changes).length === 0) return unit;
        const updated = await withUniqueUnitNumber(changes.unit_number, () => updateUnit(trx, unit.id, changes));
        if (!updated) throw notFound('Unit', id);
        return updated;
      },
      (row) => row.id,
    );
  });
}

function unitChanges(input: UpdateUnitInput): UnitUpdate {
  const changes: UnitUpdate = {};
  if (input.unitNumber != null) changes.unit_number = requireText(input.unitNumber, 'unitNumber', 40);
  if (input.level != null) changes.level = input.level;
  if (input.capabilities != null) changes.capabilities = [...requireDistinct(input.capabilities, 'capabilities')];
  if (input.status != null) changes.status = input.status;
  if (input.location !== undefined) Object.assign(changes, locationColumns(input.location));
  if (input.shiftStart !== undefined || input.shiftEnd !== undefined) {
    if (input.shiftStart === undefined || input.shiftEnd === undefined) {
      throw badInput('Change `shiftStart` and `shiftEnd` together.', input.shiftStart === undefined ? 'shiftStart' : 'shiftEnd');
    }
    Object.assign(changes, shiftColumns(input.shiftStart, input.shiftEnd));
  }
  if (input.isActive != null) changes.is_active = input.isActive;
  return changes;
}
