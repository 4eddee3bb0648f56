import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { JsonColumn } from '@medport/database';

/** Network-wide settings (dispatch mode, deadlines, SLAs), keyed by a dotted name such as `dispatch.mode`. */
export interface SystemConfigurationTable {
  key: string;
  value: JsonColumn<string>;
  description: string | null;
  category: string;
  is_active: Generated<boolean>;
  updated_by_id: string | null;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface FeatureTogglesTable {
  id: string;
  name: string;
  is_enabled: Generated<boolean>;
  /** Who the feature is on for (roles, tenants); empty means everyone. See `FeatureToggleTarget`. */
  target: JsonColumn;
  configuration: JsonColumn;
  updated_by_id: string | null;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export const NOTIFICATION_CHANNELS = ['EMAIL', 'SMS', 'PUSH'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];

export interface NotificationTemplatesTable {
  id: string;
  name: string;
  channel: NotificationChannel;
  subject: string | null;
  content: string;
  /** The `{{placeholders}}` the content uses. */
  variables: ColumnType<string[], string[] | undefined, string[]>;
  is_active: Generated<boolean>;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export type SystemSettingRow = Selectable<SystemConfigurationTable>;
export type NewSystemSettingRow = Insertable<SystemConfigurationTable>;
export type FeatureToggleRow = Selectable<FeatureTogglesTable>;
export type NewFeatureToggleRow = Insertable<FeatureTogglesTable>;
export type NotificationTemplateRow = Selectable<NotificationTemplatesTable>;
export type NewNotificationTemplateRow = Insertable<NotificationTemplatesTable>;
export type SystemSettingUpdate = Updateable<SystemConfigurationTable>;
export type FeatureToggleUpdate = Updateable<FeatureTogglesTable>;
export type NotificationTemplateUpdate = Updateable<NotificationTemplatesTable>;
