import { auditedChange, type AuditDetails } from '@medport/audit';
import { CENTER_ADMIN_ROLES, requireRole } from '@medport/auth';
import { jsonText, type JsonValue } from '@medport/database';
import { publishEvent } from '@medport/events';
import { badInput } from '@medport/graphql';
import { AuditAction } from '../../audit.js';
import type { CenterContext } from '../../context.js';
import { KNOWN_SETTING_KEYS, SETTINGS_ANNOUNCED_TO_SILOS, settingRule } from './settings.js';
import { insertSystemSetting, lockSystemSetting, updateSystemSetting } from './system.repository.js';
import type { SystemSettingRow } from './system.table.js';

// A value is a few characters (a number, a word); anything longer is not one of them.
const MAX_VALUE_TEXT_LENGTH = 1000;

/** The value as JSON text parsed; BAD_USER_INPUT when it is not JSON (a bare word is the usual slip). */
function parseValueText(text: string): JsonValue {
  if (text.length > MAX_VALUE_TEXT_LENGTH) throw badInput(`\`value\` must be at most ${MAX_VALUE_TEXT_LENGTH} characters.`, 'value');
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw badInput('`value` must be JSON text: a number as 45, a word in quotes as "PREFERRED".', 'value');
  }
}

/** What an event carries: settings are scalars by their rules, so anything else here is a bug in a rule. */
function scalarOf(value: JsonValue): string | number | boolean {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  throw new Error(`A setting announced to other silos must hold a scalar, not ${jsonText(value)}.`);
}

/**
 * Sets a known setting to a value its rule accepts, and makes it active: an administrator who sets a value means it
 * to apply. Settings other silos apply are announced to them (SystemSettingChanged) in the same transaction.
 * Setting the value it already has changes nothing and announces nothing. Center administrators only; the audit
 * record keeps the value before and after, as JSON text.
 */
export function changeSystemSetting(context: CenterContext, key: string, valueText: string): Promise<SystemSettingRow> {
  const target = { action: AuditAction.UPDATE_SYSTEM_SETTING, entityType: 'SystemSetting', entityId: key, details: { key } as AuditDetails };
  return auditedChange(context, target, async (commit) => {
    const viewer = requireRole(context.viewer, CENTER_ADMIN_ROLES, 'change the system configuration');
    const rule = settingRule(key);
    if (!rule) throw badInput(`\`key\`: no setting is called "${key}"; known: ${KNOWN_SETTING_KEYS.join(', ')}.`, 'key');
    const value = rule.accept(parseValueText(valueText));
    if (value === null) throw badInput(`\`value\` of ${key} must be ${rule.rule}.`, 'value');

    return commit(
      async (trx) => {
        const existing = await lockSystemSetting(trx, key);
        const now = new Date();
        if (existing && existing.is_active && jsonText(existing.value) === jsonText(value)) {
          target.details = { key, before: jsonText(existing.value), after: jsonText(value) };
          return existing;
        }
        const changes = { value: jsonText(value), is_active: true, updated_by_id: viewer.userId, updated_at: now };
        // A known setting without a row (a database set up without the demo seed) gets one; a concurrent change
        // that inserted it first is found by the insert's conflict and changed like any existing row.
        const inserted = existing
          ? undefined
          : await insertSystemSetting(trx, { key, description: rule.description, category: key.split('.')[0]!, ...changes });
        const previous = existing ?? (inserted ? null : await lockSystemSetting(trx, key));
        const stored = inserted ?? (await updateSystemSetting(trx, key, changes));
        if (SETTINGS_ANNOUNCED_TO_SILOS.has(key)) {
          await publishEvent(trx, 'SystemSettingChanged', key, {
            key,
            value: scalarOf(value),
            changedById: viewer.userId,
            changedAt: stored.updated_at.toISOString(),
          });
        }
        target.details = {
          key,
          before: previous ? jsonText(previous.value) : null,
          after: jsonText(value),
          ...(previous && !previous.is_active ? { reactivated: true } : {}),
        };
        return stored;
      },
      (setting) => setting.key,
    );
  });
}
