import { optionalText } from '@medport/graphql';
import type { CenterContext } from '../../context.js';
import { jsonText } from '@medport/database';
import { listFeatureToggles, listNotificationTemplates, listSystemSettings } from './system.repository.js';
import type { FeatureToggleRow, NotificationTemplateRow, SystemSettingRow } from './system.table.js';

export const systemResolvers = {
  Query: {
    systemConfiguration: (_: unknown, args: { category?: string | null }, context: CenterContext) =>
      listSystemSettings(context.db, optionalText(args.category, 'category', 100)),
    featureToggles: (_: unknown, __: unknown, context: CenterContext) => listFeatureToggles(context.db),
    notificationTemplates: (_: unknown, __: unknown, context: CenterContext) => listNotificationTemplates(context.db),
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
