import { auditedChange, type AuditDetails } from '@medport/audit';
import { CENTER_ADMIN_ROLES, CENTER_STAFF_ROLES, requireRole } from '@medport/auth';
import { isUniqueViolation } from '@medport/database';
import { newId } from '@medport/domain';
import { badInput, conflict, isId, notFound } from '@medport/graphql';
import { GraphQLError } from 'graphql';
import { AuditAction } from '../../audit.js';
import type { CenterContext } from '../../context.js';
import { changeDetails, listDetail } from './change-details.js';
import {
  renderTemplate,
  validTemplate,
  type NotificationTemplateInput,
  type RenderedNotification,
  type SampleValue,
  type ValidTemplate,
} from './notification-templates.js';
import {
  findNotificationTemplate,
  insertNotificationTemplate,
  lockNotificationTemplate,
  updateNotificationTemplate,
} from './system.repository.js';
import type { NotificationTemplateRow } from './system.table.js';

const TEMPLATE_NAME_CONSTRAINT = 'notification_templates_name_key';

const auditedState = (template: ValidTemplate, isActive: boolean) => ({
  name: template.name,
  channel: template.channel,
  subject: template.subject,
  content: template.content,
  variables: listDetail(template.variables),
  isActive,
});

const templateOf = (row: NotificationTemplateRow): ValidTemplate => ({
  name: row.name,
  channel: row.channel,
  subject: row.subject,
  content: row.content,
  variables: row.variables,
});

const nameTaken = (name: string) => conflict(`A notification template named "${name}" exists already.`);

/**
 * Adds a template, checked before it is stored (see `validTemplate`); a name in use is CONFLICT. Center
 * administrators only; the audit record keeps what was created.
 */
export function createNotificationTemplate(context: CenterContext, input: NotificationTemplateInput): Promise<NotificationTemplateRow> {
  const target = { action: AuditAction.CREATE_NOTIFICATION_TEMPLATE, entityType: 'NotificationTemplate', entityId: null, details: { name: input.name } as AuditDetails };
  return auditedChange(context, target, async (commit) => {
    requireRole(context.viewer, CENTER_ADMIN_ROLES, 'create notification templates');
    const template = validTemplate(input);
    return commit(
      async (trx) => {
        const created = await insertNotificationTemplate(trx, { id: newId(), ...template });
        if (!created) throw nameTaken(template.name);
        target.details = changeDetails(null, auditedState(template, created.is_active));
        return created;
      },
      (created) => created.id,
    );
  });
}

/**
 * Replaces a template's name, channel, subject, content and variables, checked as on creation. Saving what it
 * holds already changes nothing. Center administrators only; the audit record keeps each changed field before and
 * after.
 */
export function changeNotificationTemplate(context: CenterContext, id: string, input: NotificationTemplateInput): Promise<NotificationTemplateRow> {
  const target = { action: AuditAction.UPDATE_NOTIFICATION_TEMPLATE, entityType: 'NotificationTemplate', entityId: id, details: {} as AuditDetails };
  return auditedChange(context, target, async (commit) => {
    requireRole(context.viewer, CENTER_ADMIN_ROLES, 'change notification templates');
    if (!isId(id)) throw notFound('NotificationTemplate', id);
    const template = validTemplate(input);
    return commit(
      async (trx) => {
        const existing = await lockNotificationTemplate(trx, id);
        if (!existing) throw notFound('NotificationTemplate', id);
        target.details = changeDetails(auditedState(templateOf(existing), existing.is_active), auditedState(template, existing.is_active));
        if (target.details.changed === '') return existing;
        try {
          return await updateNotificationTemplate(trx, id, { ...template, updated_at: new Date() });
        } catch (error) {
          // The unique index decides a rename onto a name in use, even one taken by a concurrent change.
          if (isUniqueViolation(error, TEMPLATE_NAME_CONSTRAINT)) throw nameTaken(template.name);
          throw error;
        }
      },
      (changed) => changed.id,
    );
  });
}

/**
 * Deactivates a template (the sender skips it; it stays for reference and can come back) or reactivates it.
 * Center administrators only; the audit record keeps the state before and after.
 */
export function setNotificationTemplateActive(context: CenterContext, id: string, isActive: boolean): Promise<NotificationTemplateRow> {
  const target = {
    action: AuditAction.SET_NOTIFICATION_TEMPLATE_ACTIVE,
    entityType: 'NotificationTemplate',
    entityId: id,
    details: { isActive } as AuditDetails,
  };
  return auditedChange(context, target, async (commit) => {
    requireRole(context.viewer, CENTER_ADMIN_ROLES, 'deactivate or reactivate notification templates');
    if (!isId(id)) throw notFound('NotificationTemplate', id);
    return commit(
      async (trx) => {
        const existing = await lockNotificationTemplate(trx, id);
        if (!existing) throw notFound('NotificationTemplate', id);
        target.details = { before: existing.is_active, after: isActive };
        if (existing.is_active === isActive) return existing;
        return updateNotificationTemplate(trx, id, { is_active: isActive, updated_at: new Date() });
      },
      (changed) => changed.id,
    );
  });
}

export interface PreviewNotificationInput {
  id?: string | null;
  draft?: NotificationTemplateInput | null;
  sampleValues?: SampleValue[] | null;
}

/** Runs `check` with its BAD_USER_INPUT field put under `prefix`, for a template nested in a larger input. */
function underField<T>(prefix: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof GraphQLError && error.extensions.code === 'BAD_USER_INPUT' && typeof error.extensions.field === 'string') {
      throw badInput(error.message, `${prefix}.${error.extensions.field}`);
    }
    throw error;
  }
}

/**
 * A template filled in with sample values (the documented examples for variables without one): a stored template
 * by id, or a draft checked as it would be on saving, so it can be tried before it is stored. Reading, not
 * changing: center staff may preview, and nothing is written.
 */
export async function previewNotification(context: CenterContext, input: PreviewNotificationInput): Promise<RenderedNotification & { channel: ValidTemplate['channel'] }> {
  requireRole(context.viewer, CENTER_STAFF_ROLES, 'preview notification templates');
  const hasId = input.id !== null && input.id !== undefined;
  const hasDraft = input.draft !== null && input.draft !== undefined;
  if (hasId === hasDraft) throw badInput('Give either `id` (a stored template) or `draft` (an unsaved one), not both.', hasId ? 'draft' : 'id');
  let template: ValidTemplate;
  if (hasId) {
    const row = isId(input.id!) ? await findNotificationTemplate(context.db, input.id!) : undefined;
    if (!row) throw notFound('NotificationTemplate', input.id!);
    template = templateOf(row);
  } else {
    template = underField('draft', () => validTemplate(input.draft!));
  }
  return { channel: template.channel, ...renderTemplate(template, input.sampleValues ?? []) };
}
