import type { CenterContext } from '../../context.js';
import { jsonText } from '@medport/database';
import { describeFeatureToggle, storedTarget } from './feature-toggles.js';
import { setFeatureToggle, type SetFeatureToggleInput } from './feature-toggles.manager.js';
import type { NotificationTemplateInput } from './notification-templates.js';
import {
  changeNotificationTemplate,
  createNotificationTemplate,
  previewNotification,
  setNotificationTemplateActive,
  type PreviewNotificationInput,
} from './notification-templates.manager.js';
import { settingRule } from './settings.js';
import { changeSystemSetting } from './settings.manager.js';
import { readFeatureToggles, readNotificationTemplates, readNotificationVariables, readSystemConfiguration } from './system.manager.js';
import type { FeatureToggleRow, NotificationTemplateRow, SystemSettingRow } from './system.table.js';

export const systemResolvers = {
  Query: {
    systemConfiguration: (_: unknown, args: { category?: string | null }, context: CenterContext) => readSystemConfiguration(context, args.category),
    featureToggles: (_: unknown, __: unknown, context: CenterContext) => readFeatureToggles(context),
    notificationTemplates: (_: unknown, __: unknown, context: CenterContext) => readNotificationTemplates(context),
    notificationVariables: (_: unknown, __: unknown, context: CenterContext) => readNotificationVariables(context),
    previewNotificationTemplate: (_: unknown, args: PreviewNotificationInput, context: CenterContext) => previewNotification(context, args),
  },
  Mutation: {
    updateSystemSetting: (_: unknown, args: { key: string; value: string }, context: CenterContext) => changeSystemSetting(context, args.key, args.value),
    setFeatureToggle: (_: unknown, args: { name: string; input: SetFeatureToggleInput }, context: CenterContext) =>
      setFeatureToggle(context, args.name, args.input),
    createNotificationTemplate: (_: unknown, args: { input: NotificationTemplateInput }, context: CenterContext) =>
      createNotificationTemplate(context, args.input),
    updateNotificationTemplate: (_: unknown, args: { id: string; input: NotificationTemplateInput }, context: CenterContext) =>
      changeNotificationTemplate(context, args.id, args.input),
    setNotificationTemplateActive: (_: unknown, args: { id: string; isActive: boolean }, context: CenterContext) =>
      setNotificationTemplateActive(context, args.id, args.isActive),
  },
  SystemSetting: {
    value: (setting: SystemSettingRow) => jsonText(setting.value),
    isActive: (setting: SystemSettingRow) => setting.is_active,
    rule: (setting: SystemSettingRow) => settingRule(setting.key)?.rule ?? null,
    defaultValue: (setting: SystemSettingRow) => {
      const rule = settingRule(setting.key);
      return rule ? jsonText(rule.defaultValue) : null;
    },
    updatedAt: (setting: SystemSettingRow) => setting.updated_at,
  },
  FeatureToggle: {
    description: (toggle: FeatureToggleRow) => describeFeatureToggle(toggle.name),
    isEnabled: (toggle: FeatureToggleRow) => toggle.is_enabled,
    target: (toggle: FeatureToggleRow) => storedTarget(toggle.target),
    updatedAt: (toggle: FeatureToggleRow) => toggle.updated_at,
  },
  NotificationTemplate: {
    isActive: (template: NotificationTemplateRow) => template.is_active,
    createdAt: (template: NotificationTemplateRow) => template.created_at,
    updatedAt: (template: NotificationTemplateRow) => template.updated_at,
  },
};
