import { addressOf, type PageArgs } from '@medport/graphql';
import type { HospitalContext } from '../../context.js';
import { facilityTripConnection } from '../transport-requests/transport-requests.manager.js';
import {
  changeFacility,
  createFacility,
  facilityConnection,
  getFacility,
  type CreateFacilityInput,
  type UpdateFacilityInput,
} from './facilities.manager.js';
import type { FacilityFilter } from './facilities.repository.js';
import type { FacilityRow } from './facilities.table.js';

export interface FacilityFilterInput {
  hospitalId?: string | null;
  types?: FacilityFilter['types'];
  nameContains?: string | null;
  includeInactive?: boolean | null;
}

export const facilityResolvers = {
  Query: {
    facilities: (_: unknown, args: PageArgs & { filter?: FacilityFilterInput | null }, context: HospitalContext) =>
      facilityConnection(context, args.filter ?? {}, args),
    facility: (_: unknown, args: { id: string }, context: HospitalContext) => getFacility(context, args.id),
  },
  Mutation: {
    createFacility: (_: unknown, args: { input: CreateFacilityInput }, context: HospitalContext) => createFacility(context, args.input),
    updateFacility: (_: unknown, args: { id: string; input: UpdateFacilityInput }, context: HospitalContext) =>
      changeFacility(context, args.id, args.input),
  },
  Facility: {
    __resolveReference: (reference: { id: string }, context: HospitalContext) => context.loaders.facility.load(reference.id),
    hospital: (facility: FacilityRow) => ({ __typename: 'Hospital', id: facility.hospital_id }),
    address: (facility: FacilityRow) => addressOf(facility),
    coordinates: (facility: FacilityRow) => ({ latitude: facility.latitude, longitude: facility.longitude }),
    operatingHours: (facility: FacilityRow) => facility.operating_hours,
    isActive: (facility: FacilityRow) => facility.is_active,
    createdAt: (facility: FacilityRow) => facility.created_at,
    updatedAt: (facility: FacilityRow) => facility.updated_at,
    trips: (facility: FacilityRow, args: PageArgs, context: HospitalContext) => facilityTripConnection(context, facility.id, args),
  },
};
