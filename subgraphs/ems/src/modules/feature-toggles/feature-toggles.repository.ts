import { jsonText, label, type Executor } from '@medport/database';
import type { FeatureToggleTarget } from '@medport/domain';
import type { EmsDatabase } from '../../database.js';
import type { FeatureToggleRow } from './feature-toggles.table.js';

/**
 * Keeps a toggle as the center set it at `changedAt`, in one statement: a newer state replaces the copy, an older
 * one (an announcement retried after a later one was applied) changes nothing.
 */
export async function recordFeatureToggle(
  trx: Executor<EmsDatabase>,
  toggle: { name: string; isEnabled: boolean; target: FeatureToggleTarget; changedAt: Date },
): Promise<void> {
  await trx
    .insertInto('feature_toggles')
    .values({ name: toggle.name, is_enabled: toggle.isEnabled, target: jsonText({ ...toggle.target }), changed_at: toggle.changedAt })
    .onConflict((conflict) =>
      conflict
        .column('name')
        .doUpdateSet((eb) => ({
          is_enabled: eb.ref('excluded.is_enabled'),
          target: eb.ref('excluded.target'),
          changed_at: eb.ref('excluded.changed_at'),
          updated_at: new Date(),
        }))
        .whereRef('feature_toggles.changed_at', '<=', 'excluded.changed_at'),
    )
    .modifyEnd(label('recordFeatureToggle'))
    .execute();
}

export function findFeatureToggle(db: Executor<EmsDatabase>, name: string): Promise<FeatureToggleRow | undefined> {
  return db.selectFrom('feature_toggles').selectAll().where('name', '=', name).modifyEnd(label('findFeatureToggle')).executeTakeFirst();
}
