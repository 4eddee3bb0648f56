import { label, type Executor } from '@medport/database';
import type { ServiceStatus } from '@medport/domain';
import type { HospitalDatabase } from '../../database.js';
import type { AgencyPreferenceRow, NetworkAgencyRow, NewAgencyPreferenceRow } from './agency-preferences.table.js';

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

/** The network's agencies among `ids`. */
export function findNetworkAgencies(db: Executor<HospitalDatabase>, ids: readonly string[]): Promise<NetworkAgencyRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom('network_agencies').selectAll().where('id', 'in', ids).modifyEnd(label('findNetworkAgencies')).execute();
}

/** Records an agency the center registered; a repeated registration changes nothing. */
export async function recordNetworkAgency(trx: Executor<HospitalDatabase>, row: Omit<NetworkAgencyRow, 'updated_at'>): Promise<void> {
  await trx
    .insertInto('network_agencies')
    .values(row)
    .onConflict((conflict) => conflict.column('id').doNothing())
    .modifyEnd(label('recordNetworkAgency'))
    .execute();
}

/**
 * The active preferred agencies of a hospital that are active in the network, most preferred first: the agencies
 * a new trip is offered to first.
 */
export async function findOfferableAgencyIds(db: Executor<HospitalDatabase>, hospitalId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('agency_preferences')
    .innerJoin('network_agencies', 'network_agencies.id', 'agency_preferences.agency_id')
    .select('agency_preferences.agency_id')
    .where('agency_preferences.hospital_id', '=', hospitalId)
    .where('agency_preferences.is_active', '=', true)
    .where('network_agencies.status', '=', 'ACTIVE')
    .orderBy('agency_preferences.preference_order')
    .modifyEnd(label('findOfferableAgencyIds'))
    .execute();
  return rows.map((row) => row.agency_id);
}

/**
 * Sets a network agency's status as of `changedAt`, unless a newer change was applied already. Answers whether the
 * hospital silo has heard of the agency at all.
 */
export async function setNetworkAgencyStatus(trx: Executor<HospitalDatabase>, id: string, status: ServiceStatus, changedAt: Date): Promise<boolean> {
  const agency = await trx
    .selectFrom('network_agencies')
    .select(['id', 'status_changed_at'])
    .where('id', '=', id)
    .forUpdate()
    .modifyEnd(label('lockNetworkAgency'))
    .executeTakeFirst();
  if (!agency) return false;
  if (agency.status_changed_at.getTime() >= changedAt.getTime()) return true;
  await trx
    .updateTable('network_agencies')
    .set({ status, status_changed_at: changedAt, updated_at: new Date() })
    .where('id', '=', id)
    .modifyEnd(label('setNetworkAgencyStatus'))
    .execute();
  return true;
}
