import type { Kysely } from 'kysely';
import { rowsByGroup } from '@medport/graphql';
import type { HospitalDatabase } from '../../database.js';
import { findPreferencesByHospitalIds } from './agency-preferences.repository.js';

export function createAgencyPreferenceLoaders(db: Kysely<HospitalDatabase>) {
  return {
    preferencesByHospital: rowsByGroup(
      (hospitalIds) => findPreferencesByHospitalIds(db, hospitalIds),
      (row) => row.hospital_id,
    ),
  };
}
