import { jsonText, label, type Executor, type JsonValue } from '@medport/database';
import type { HospitalDatabase } from '../../database.js';

/**
 * Keeps the center's value of a setting as of `changedAt`, in one statement: a newer value replaces the copy, an
 * older one (an announcement retried after a later one was applied) changes nothing.
 */
export async function recordNetworkSetting(trx: Executor<HospitalDatabase>, key: string, value: JsonValue, changedAt: Date): Promise<void> {
  await trx
    .insertInto('network_settings')
    .values({ key, value: value === null ? null : jsonText(value), changed_at: changedAt })
    .onConflict((conflict) =>
      conflict
        .column('key')
        .doUpdateSet((eb) => ({ value: eb.ref('excluded.value'), changed_at: eb.ref('excluded.changed_at'), updated_at: new Date() }))
        .whereRef('network_settings.changed_at', '<=', 'excluded.changed_at'),
    )
    .modifyEnd(label('recordNetworkSetting'))
    .execute();
}

/** The center's value of a setting, or null when the center never announced it or withdrew it. */
export async function findNetworkSettingValue(db: Executor<HospitalDatabase>, key: string): Promise<JsonValue> {
  const row = await db.selectFrom('network_settings').select('value').where('key', '=', key).modifyEnd(label('findNetworkSettingValue')).executeTakeFirst();
  return row?.value ?? null;
}
