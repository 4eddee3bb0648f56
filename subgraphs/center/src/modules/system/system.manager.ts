import { CENTER_STAFF_ROLES, requireRole } from '@medport/auth';
import { optionalText } from '@medport/graphql';
import type { CenterContext } from '../../context.js';
import { NOTIFICATION_VARIABLES } from './notification-templates.js';
import { listFeatureToggles, listNotificationTemplates, listSystemSettings } from './system.repository.js';
import type { FeatureToggleRow, NotificationTemplateRow, SystemSettingRow } from './system.table.js';

// How the network is tuned (dispatch mode, SLAs, switches, message texts) is for the center's staff to read.

export function readSystemConfiguration(context: CenterContext, category: string | null | undefined): Promise<SystemSettingRow[]> {
  requireRole(context.viewer, CENTER_STAFF_ROLES, 'read the system configuration');
  return listSystemSettings(context.db, optionalText(category, 'category', 100));
}

export function readFeatureToggles(context: CenterContext): Promise<FeatureToggleRow[]> {
  requireRole(context.viewer, CENTER_STAFF_ROLES, 'read the feature toggles');
  return listFeatureToggles(context.db);
}

export function readNotificationTemplates(context: CenterContext): Promise<NotificationTemplateRow[]> {
  requireRole(context.viewer, CENTER_STAFF_ROLES, 'read the notification templates');
  return listNotificationTemplates(context.db);
}

export function readNotificationVariables(context: CenterContext): { name: string; description: string; example: string }[] {
  requireRole(context.viewer, CENTER_STAFF_ROLES, 'read the notification variables');
  return Object.entries(NOTIFICATION_VARIABLES).map(([name, variable]) => ({ name, ...variable }));
}
