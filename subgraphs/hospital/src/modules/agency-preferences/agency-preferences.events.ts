import type { TypedEvent } from '@medport/events';
import type { Transaction } from 'kysely';
import type { HospitalDatabase } from '../../database.js';
import { recordNetworkAgency, setNetworkAgencyStatus } from './agency-preferences.repository.js';

/** A new agency joined the network: from now on hospitals may prefer it. */
export async function onServiceRegistered(trx: Transaction<HospitalDatabase>, event: TypedEvent<'ServiceRegistered'>): Promise<void> {
  const { agencyId, name, status, registeredAt } = event.payload;
  await recordNetworkAgency(trx, { id: agencyId, name, status, registered_at: new Date(registeredAt), status_changed_at: new Date(registeredAt) });
}

/** An agency was suspended or reactivated: new trips are offered to the hospital's preferred agencies that are ACTIVE. */
export async function onServiceStatusChanged(trx: Transaction<HospitalDatabase>, event: TypedEvent<'ServiceStatusChanged'>): Promise<void> {
  const { agencyId, status, changedAt } = event.payload;
  // Unknown here means its registration has not been applied yet (parked): park this behind it.
  if (!(await setNetworkAgencyStatus(trx, agencyId, status, new Date(changedAt)))) throw new Error(`Agency ${agencyId} is unknown to the hospital silo.`);
}
