import type { PageArgs } from '@medport/graphql';
import type { HospitalContext } from '../../context.js';
import { preferencesOfHospital } from '../agency-preferences/agency-preferences.manager.js';
import { hospitalFacilityConnection } from '../facilities/facilities.manager.js';

interface HospitalReference {
  id: string;
}

export const hospitalResolvers = {
  Hospital: {
    // The registry is the center's; here a hospital is its id, and its fields are this silo's rows.
    __resolveReference: (reference: HospitalReference) => ({ id: reference.id }),
    facilities: (hospital: HospitalReference, args: PageArgs & { includeInactive?: boolean | null }, context: HospitalContext) =>
      hospitalFacilityConnection(context, hospital.id, args),
    agencyPreferences: (hospital: HospitalReference, _: unknown, context: HospitalContext) => preferencesOfHospital(context, hospital.id),
  },
};
