import type { TypedEvent } from '@medport/events';
import type { Transaction } from 'kysely';
import type { HospitalDatabase } from '../../database.js';
import { recordNetworkAgency } from './agency-preferences.repository.js';

/** A new agency joined the network: from now on hospitals may prefer it. */
export async function onServiceRegistered(trx: Transaction<HospitalDatabase>, event: TypedEvent<'ServiceRegistered'>): Promise<void> {
  const { agencyId, name, status, registeredAt } = event.payload;
  await recordNetworkAgency(trx, { id: agencyId, name, status, registered_at: new Date(registeredAt) });
}
