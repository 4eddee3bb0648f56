import { label, type Executor } from '@medport/database';
import type { CenterDatabase } from '../../database.js';
import type {
  FeatureToggleRow,
  FeatureToggleUpdate,
  NewFeatureToggleRow,
  NewNotificationTemplateRow,
  NewSystemSettingRow,
  NotificationTemplateRow,
  NotificationTemplateUpdate,
  SystemSettingRow,
  SystemSettingUpdate,
} from './system.table.js';

export function listSystemSettings(db: Executor<CenterDatabase>, category: string | null): Promise<SystemSettingRow[]> {
  let query = db.selectFrom('system_configuration').selectAll();
  if (category !== null) query = query.where('category', '=', category);
  return query.orderBy('category').orderBy('key').modifyEnd(label('listSystemSettings')).execute();
}

export function listSettingValues(db: Executor<CenterDatabase>, keys: readonly string[]) {
  return db
    .selectFrom('system_configuration')
    .select(['key', 'value', 'is_active'])
    .where('key', 'in', [...keys])
    .modifyEnd(label('listSettingValues'))
    .execute();
}

/** A setting, locked until the transaction ends, so concurrent changes apply one after the other. */
export function lockSystemSetting(trx: Executor<CenterDatabase>, key: string): Promise<SystemSettingRow | undefined> {
  return trx.selectFrom('system_configuration').selectAll().where('key', '=', key).forUpdate().modifyEnd(label('lockSystemSetting')).executeTakeFirst();
}

/** Inserts a setting, or nothing when a concurrent change inserted it first (then undefined: lock that one). */
export function insertSystemSetting(trx: Executor<CenterDatabase>, row: NewSystemSettingRow): Promise<SystemSettingRow | undefined> {
  return trx
    .insertInto('system_configuration')
    .values(row)
    .onConflict((conflict) => conflict.column('key').doNothing())
    .returningAll()
    .modifyEnd(label('insertSystemSetting'))
    .executeTakeFirst();
}

export function updateSystemSetting(trx: Executor<CenterDatabase>, key: string, changes: SystemSettingUpdate): Promise<SystemSettingRow> {
  return trx
    .updateTable('system_configuration')
    .set(changes)
    .where('key', '=', key)
    .returningAll()
    .modifyEnd(label('updateSystemSetting'))
    .executeTakeFirstOrThrow();
}

export function listFeatureToggles(db: Executor<CenterDatabase>): Promise<FeatureToggleRow[]> {
  return db.selectFrom('feature_toggles').selectAll().orderBy('name').modifyEnd(label('listFeatureToggles')).execute();
}

/** A toggle by name, locked until the transaction ends. */
export function lockFeatureToggle(trx: Executor<CenterDatabase>, name: string): Promise<FeatureToggleRow | undefined> {
  return trx.selectFrom('feature_toggles').selectAll().where('name', '=', name).forUpdate().modifyEnd(label('lockFeatureToggle')).executeTakeFirst();
}

/** Inserts a toggle, or nothing when a concurrent change inserted it first (then undefined: lock that one). */
export function insertFeatureToggle(trx: Executor<CenterDatabase>, row: NewFeatureToggleRow): Promise<FeatureToggleRow | undefined> {
  return trx
    .insertInto('feature_toggles')
    .values(row)
    .onConflict((conflict) => conflict.column('name').doNothing())
    .returningAll()
    .modifyEnd(label('insertFeatureToggle'))
    .executeTakeFirst();
}

export function updateFeatureToggle(trx: Executor<CenterDatabase>, id: string, changes: FeatureToggleUpdate): Promise<FeatureToggleRow> {
  return trx
    .updateTable('feature_toggles')
    .set(changes)
    .where('id', '=', id)
    .returningAll()
    .modifyEnd(label('updateFeatureToggle'))
    .executeTakeFirstOrThrow();
}

/** Of these ids, those that name a hospital or a registered agency: the tenants a toggle can be aimed at. */
export async function findKnownTenantIds(db: Executor<CenterDatabase>, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom('hospitals')
    .select('id')
    .where('id', 'in', [...ids])
    .unionAll(db.selectFrom('service_registry').select('agency_id as id').where('agency_id', 'in', [...ids]))
    .modifyEnd(label('findKnownTenantIds'))
    .execute();
  return new Set(rows.map((row) => row.id));
}

export function listNotificationTemplates(db: Executor<CenterDatabase>): Promise<NotificationTemplateRow[]> {
  return db.selectFrom('notification_templates').selectAll().orderBy('name').modifyEnd(label('listNotificationTemplates')).execute();
}

export function findNotificationTemplate(db: Executor<CenterDatabase>, id: string): Promise<NotificationTemplateRow | undefined> {
  return db.selectFrom('notification_templates').selectAll().where('id', '=', id).modifyEnd(label('findNotificationTemplate')).executeTakeFirst();
}

/** A template, locked until the transaction ends, so concurrent edits apply one after the other. */
export function lockNotificationTemplate(trx: Executor<CenterDatabase>, id: string): Promise<NotificationTemplateRow | undefined> {
  return trx
    .selectFrom('notification_templates')
    .selectAll()
    .where('id', '=', id)
    .forUpdate()
    .modifyEnd(label('lockNotificationTemplate'))
    .executeTakeFirst();
}

/** Inserts a template, or nothing when its name is taken (then undefined): the unique index decides races. */
export function insertNotificationTemplate(trx: Executor<CenterDatabase>, row: NewNotificationTemplateRow): Promise<NotificationTemplateRow | undefined> {
  return trx
    .insertInto('notification_templates')
    .values(row)
    .onConflict((conflict) => conflict.column('name').doNothing())
    .returningAll()
    .modifyEnd(label('insertNotificationTemplate'))
    .executeTakeFirst();
}

/** Changes a template; a name taken by another one fails on `notification_templates_name_key`. */
export function updateNotificationTemplate(
  trx: Executor<CenterDatabase>,
  id: string,
  changes: NotificationTemplateUpdate,
): Promise<NotificationTemplateRow> {
  return trx
    .updateTable('notification_templates')
    .set(changes)
    .where('id', '=', id)
    .returningAll()
    .modifyEnd(label('updateNotificationTemplate'))
    .executeTakeFirstOrThrow();
}
