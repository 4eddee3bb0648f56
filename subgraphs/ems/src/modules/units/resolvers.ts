import type { PageArgs } from '@medport/graphql';
import type { EmsContext } from '../../context.js';
import {
  changeUnit,
  createUnit,
  getUnit,
  toRepositoryFilter,
  unitConnection,
  type CreateUnitInput,
  type UnitFilterInput,
  type UpdateUnitInput,
} from './units.manager.js';
import type { UnitAvailabilityRow, UnitRow } from './units.table.js';

export const unitResolvers = {
  Query: {
    units: (_: unknown, args: PageArgs & { filter?: UnitFilterInput | null }, context: EmsContext) =>
      unitConnection(context, toRepositoryFilter(args.filter ?? {}), args),
    unit: (_: unknown, args: { id: string }, context: EmsContext) => getUnit(context, args.id),
  },
  Mutation: {
    createUnit: (_: unknown, args: { input: CreateUnitInput }, context: EmsContext) => createUnit(context, args.input),
    updateUnit: (_: unknown, args: { id: string; input: UpdateUnitInput }, context: EmsContext) => changeUnit(context, args.id, args.input),
  },
  Unit: {
    // Batched: the gateway resolves every Unit reference of a response in one statement. A unit outside the
    // caller's scope resolves to null, as an unknown one does.
    __resolveReference: (reference: { id: string }, context: EmsContext) => context.loaders.unit.load(reference.id),
    agency: (unit: UnitRow, _: unknown, context: EmsContext) => context.loaders.agency.load(unit.agency_id),
    unitNumber: (unit: UnitRow) => unit.unit_number,
    location: (unit: UnitRow) =>
      unit.latitude !== null && unit.longitude !== null ? { latitude: unit.latitude, longitude: unit.longitude } : null,
    locationUpdatedAt: (unit: UnitRow) => unit.location_updated_at,
    shiftStart: (unit: UnitRow) => unit.shift_start,
    shiftEnd: (unit: UnitRow) => unit.shift_end,
    isActive: (unit: UnitRow) => unit.is_active,
    availability: (unit: UnitRow, _: unknown, context: EmsContext) => context.loaders.availabilityByUnit.load(unit.id),
    updatedAt: (unit: UnitRow) => unit.updated_at,
  },
  UnitAvailabilityWindow: {
    startsAt: (window: UnitAvailabilityRow) => window.starts_at,
    endsAt: (window: UnitAvailabilityRow) => window.ends_at,
  },
};
