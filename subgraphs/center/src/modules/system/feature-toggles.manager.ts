import { auditedChange, type AuditDetails } from '@medport/audit';
import { CENTER_ADMIN_ROLES, requireRole } from '@medport/auth';
import { jsonText } from '@medport/database';
import { newId, type FeatureToggleTarget } from '@medport/domain';
import { publishEvent } from '@medport/events';
import { badInput } from '@medport/graphql';
import { AuditAction } from '../../audit.js';
import type { CenterContext } from '../../context.js';
import { changeDetails, listDetail } from './change-details.js';
import { EVERYONE, requireKnownToggle, storedTarget, targetOf, type FeatureToggleTargetInput } from './feature-toggles.js';
import { findKnownTenantIds, insertFeatureToggle, lockFeatureToggle, updateFeatureToggle } from './system.repository.js';
import type { FeatureToggleRow } from './system.table.js';

export interface SetFeatureToggleInput {
  isEnabled: boolean;
  /** Left out: the toggle keeps the target it has. */
  target?: FeatureToggleTargetInput | null;
}

/** A target whose tenants are all hospitals or agencies of the network; an unknown id is a typo, refused. */
async function requireKnownTenants(context: CenterContext, target: FeatureToggleTarget): Promise<FeatureToggleTarget> {
  const known = await findKnownTenantIds(context.db, [...target.tenantIds, ...target.exceptTenantIds]);
  for (const field of ['tenantIds', 'exceptTenantIds'] as const) {
    const unknown = target[field].find((id) => !known.has(id));
    if (unknown) throw badInput(`\`target.${field}\`: ${unknown} is neither a hospital nor an agency of the network.`, `target.${field}`);
  }
  return target;
}

const auditedState = (isEnabled: boolean, target: FeatureToggleTarget) => ({
  isEnabled,
  roles: listDetail(target.roles),
  tenantIds: listDetail(target.tenantIds),
  exceptTenantIds: listDetail(target.exceptTenantIds),
});

const sameTarget = (a: FeatureToggleTarget, b: FeatureToggleTarget) => jsonText({ ...a }) === jsonText({ ...b });

/**
 * Switches a known feature toggle and, when given, sets who it is on for. The silos that honour toggles keep a
 * copy, told in the same transaction (FeatureToggleChanged). Switching it to the state it has changes nothing and
 * announces nothing. An unknown toggle name is BAD_USER_INPUT: toggles are read by code, and a new one comes with
 * the code that reads it. Center administrators only; the audit record keeps each changed field before and after.
 */
export function setFeatureToggle(context: CenterContext, name: string, input: SetFeatureToggleInput): Promise<FeatureToggleRow> {
  const target = { action: AuditAction.SET_FEATURE_TOGGLE, entityType: 'FeatureToggle', entityId: name, details: { isEnabled: input.isEnabled } as AuditDetails };
  return auditedChange(context, target, async (commit) => {
    const viewer = requireRole(context.viewer, CENTER_ADMIN_ROLES, 'switch feature toggles');
    requireKnownToggle(name);
    const newTarget = input.target ? await requireKnownTenants(context, targetOf(input.target)) : null;

    return commit(
      async (trx) => {
        const now = new Date();
        // A known toggle without a row (a database set up without the demo seed) is created by its first switch,
        // and announced whatever it is set to: the silos know nothing of it yet and go by their own default.
        const locked = await lockFeatureToggle(trx, name);
        const created = locked
          ? undefined
          : await insertFeatureToggle(trx, { id: newId(), name, is_enabled: false, target: jsonText({ ...EVERYONE }), updated_by_id: null, updated_at: now });
        const existing = locked ?? created ?? (await lockFeatureToggle(trx, name));
        if (!existing) throw new Error(`Feature toggle ${name} vanished while being switched.`);
        const before = storedTarget(existing.target);
        const after = newTarget ?? before;
        target.details = changeDetails(auditedState(existing.is_enabled, before), auditedState(input.isEnabled, after));
        if (!created && existing.is_enabled === input.isEnabled && sameTarget(before, after)) return existing;
        const changed = await updateFeatureToggle(trx, existing.id, {
          is_enabled: input.isEnabled,
          target: jsonText({ ...after }),
          updated_by_id: viewer.userId,
          updated_at: now,
        });
        await publishEvent(trx, 'FeatureToggleChanged', name, {
          name,
          isEnabled: changed.is_enabled,
          target: after,
          changedById: viewer.userId,
          changedAt: changed.updated_at.toISOString(),
        });
        return changed;
      },
      (toggle) => toggle.name,
    );
  });
}
