import type { TypedEvent } from '@medport/events';
import type { Transaction } from 'kysely';
import type { EmsDatabase } from '../../database.js';
import { recordFeatureToggle } from './feature-toggles.repository.js';

/**
 * The center switched or retargeted a toggle: the copy keeps the latest by the center's time. Every toggle is kept,
 * even one this code does not read yet, so a newer version of the silo finds it already there.
 */
export async function onFeatureToggleChanged(trx: Transaction<EmsDatabase>, event: TypedEvent<'FeatureToggleChanged'>): Promise<void> {
  const { name, isEnabled, target, changedAt } = event.payload;
  await recordFeatureToggle(trx, { name, isEnabled, target, changedAt: new Date(changedAt) });
}
