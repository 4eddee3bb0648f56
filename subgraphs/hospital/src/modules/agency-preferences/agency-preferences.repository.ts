import { label, type Executor } from '@medport/database';
import type { HospitalDatabase } from '../../database.js';
import type { AgencyPreferenceRow, NewAgencyPreferenceRow } from './agency-preferences.table.js';

export function findPreferencesByHospitalIds(db: Executor<HospitalDatabase>, hospitalIds: readonly string[]): Promise<AgencyPreferenceRow[]> {
  return db
    .selectFrom('agency_preferences')
    .selectAll()
    .where('hospital_id', 'in', hospitalIds)
    .orderBy('preference_order')
    .modifyEnd(label('findPreferencesByHospitalIds'))
    .execute();
}

export async function replacePreferences(
  trx: Executor<HospitalDatabase>,
  hospitalId: string,
  rows: NewAgencyPreferenceRow[],
): Promise<AgencyPreferenceRow[]> {
  await trx.deleteFrom('agency_preferences').where('hospital_id', '=', hospitalId).modifyEnd(label('deletePreferences')).execute();
  if (rows.length === 0) return [];
  return trx.insertInto('agency_preferences').values(rows).returningAll().modifyEnd(label('insertPreferences')).execute();
}
