import { label, type Executor } from '@medport/database';
import type { CenterDatabase } from '../../database.js';
import type { FeatureToggleRow, NotificationTemplateRow, SystemSettingRow } from './system.table.js';

export function listSystemSettings(db: Executor<CenterDatabase>, category: string | null): Promise<SystemSettingRow[]> {
  let query = db.selectFrom('system_configuration').selectAll();
  if (category !== null) query = query.where('category', '=', category);
  return query.orderBy('category').orderBy('key').modifyEnd(label('listSystemSettings')).execute();
}

export function listFeatureToggles(db: Executor<CenterDatabase>): Promise<FeatureToggleRow[]> {
  return db.selectFrom('feature_toggles').selectAll().orderBy('name').modifyEnd(label('listFeatureToggles')).execute();
}

export function listNotificationTemplates(db: Executor<CenterDatabase>): Promise<NotificationTemplateRow[]> {
  return db.selectFrom('notification_templates').selectAll().orderBy('name').modifyEnd(label('listNotificationTemplates')).execute();
}
