import type { Executor } from '@medport/database';
import { ANNOUNCED_SETTING_KEYS } from '@medport/domain';
import type { HospitalDatabase } from '../../database.js';
import { findNetworkSettingValue } from './network-settings.repository.js';

/**
 * How long agencies have to accept a new trip, in seconds: the center's `dispatch.responseDeadlineMinutes` once it
 * has announced one, the silo's configured default (OFFER_DEADLINE_SECONDS) until then or after it withdrew it.
 * The center checked the value before announcing it; a value this code cannot use falls back to the default too,
 * so a trip is never requested with a deadline in the past.
 */
export async function offerDeadlineSeconds(db: Executor<HospitalDatabase>, defaultSeconds: number): Promise<number> {
  const minutes = await findNetworkSettingValue(db, ANNOUNCED_SETTING_KEYS.responseDeadlineMinutes);
  return typeof minutes === 'number' && Number.isInteger(minutes) && minutes > 0 ? minutes * 60 : defaultSeconds;
}
