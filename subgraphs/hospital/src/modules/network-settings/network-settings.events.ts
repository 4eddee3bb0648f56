import type { TypedEvent } from '@medport/events';
import type { Transaction } from 'kysely';
import type { HospitalDatabase } from '../../database.js';
import { recordNetworkSetting } from './network-settings.repository.js';

/**
 * The center changed a setting this silo may apply: the copy keeps the latest by the center's time. Every announced
 * key is kept, even one this code does not read yet, so a newer version of the silo finds it already there.
 */
export async function onSystemSettingChanged(trx: Transaction<HospitalDatabase>, event: TypedEvent<'SystemSettingChanged'>): Promise<void> {
  const { key, value, changedAt } = event.payload;
  await recordNetworkSetting(trx, key, value, new Date(changedAt));
}
