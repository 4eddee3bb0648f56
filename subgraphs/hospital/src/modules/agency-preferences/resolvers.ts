import type { HospitalContext } from '../../context.js';
import { getPreferences, setPreferences, type AgencyPreferenceInput } from './agency-preferences.manager.js';
import type { AgencyPreferenceRow } from './agency-preferences.table.js';

export const agencyPreferenceResolvers = {
  Query: {
    agencyPreferences: (_: unknown, args: { hospitalId: string }, context: HospitalContext) => getPreferences(context, args.hospitalId),
  },
  Mutation: {
    setAgencyPreferences: (
      _: unknown,
      args: { hospitalId: string; preferences: AgencyPreferenceInput[] },
      context: HospitalContext,
    ) => setPreferences(context, args.hospitalId, args.preferences),
  },
  AgencyPreference: {
    hospital: (preference: AgencyPreferenceRow) => ({ __typename: 'Hospital', id: preference.hospital_id }),
    agency: (preference: AgencyPreferenceRow) => ({ __typename: 'Agency', id: preference.agency_id }),
    preferenceOrder: (preference: AgencyPreferenceRow) => preference.preference_order,
    isActive: (preference: AgencyPreferenceRow) => preference.is_active,
    updatedAt: (preference: AgencyPreferenceRow) => preference.updated_at,
  },
};
