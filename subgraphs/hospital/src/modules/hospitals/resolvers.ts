import type { PageArgs } from '@medport/graphql';
import type { HospitalContext } from '../../context.js';
import { facilityConnection } from '../facilities/resolvers.js';

interface HospitalReference {
  id: string;
}

export const hospitalResolvers = {
  Hospital: {
    // The registry is the center's; here a hospital is its id, and its fields are this silo's rows.
    __resolveReference: (reference: HospitalReference) => ({ id: reference.id }),
    facilities: (hospital: HospitalReference, args: PageArgs & { includeInactive?: boolean | null }, context: HospitalContext) =>
      facilityConnection(context, { hospitalId: hospital.id, includeInactive: args.includeInactive ?? false }, args),
    agencyPreferences: (hospital: HospitalReference, _: unknown, context: HospitalContext) =>
      context.loaders.preferencesByHospital.load(hospital.id),
  },
};
