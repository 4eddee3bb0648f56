import type { CenterContext } from '../../context.js';
import { jsonText } from '@medport/database';
import { readFeatureToggles, readNotificationTemplates, readSystemConfiguration } from './system.manager.js';
import type { FeatureToggleRow, NotificationTemplateRow, SystemSettingRow } from './system.table.js';

export const systemResolvers = {
  Query: {
    systemConfiguration: (_: unknown, args: { category?: string | null }, context: CenterContext) => readSystemConfiguration(context, args.category),
    featureToggles: (_: unknown, __: unknown, context: CenterContext) => readFeatureToggles(context),
    notificationTemplates: (_: unknown, __: unknown, context: CenterContext) => readNotificationTemplates(context),
  },
  SystemSetting: {
    value: (setting: SystemSettingRow) => jsonText(setting.value),
    isActive: (setting: SystemSettingRow) => setting.is_active,
    updatedAt: (setting: SystemSettingRow) => setting.updated_at,
  },
  FeatureToggle: {
    isEnabled: (toggle: FeatureToggleRow) => toggle.is_enabled,
    updatedAt: (toggle: FeatureToggleRow) => toggle.updated_at,
  },
  NotificationTemplate: {
    isActive: (template: NotificationTemplateRow) => template.is_active,
  },
};
