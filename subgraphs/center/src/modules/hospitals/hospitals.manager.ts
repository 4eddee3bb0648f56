import { auditedChange } from '@medport/audit';
import { CENTER_ADMIN_ROLES, requireRole, requireViewer } from '@medport/auth';
import { newId, type ServiceStatus } from '@medport/domain';
import {
  addressColumns,
  isId,
  notFound,
  optionalText,
  parsePage,
  requireText,
  toConnection,
  type AddressInput,
  type Connection,
  type PageArgs,
} from '@medport/graphql';
import { AuditAction } from '../../audit.js';
import type { CenterContext } from '../../context.js';
import { requireEmail } from '../users/email.js';
import { insertHospital, listHospitals, updateHospital, type HospitalFilter } from './hospitals.repository.js';
import type { HospitalRow, HospitalUpdate } from './hospitals.table.js';

export interface CreateHospitalInput {
  name: string;
  address: AddressInput;
  contactName?: string | null;
  phone?: string | null;
  email?: string | null;
  status?: ServiceStatus | null;
}

export type UpdateHospitalInput = Partial<CreateHospitalInput>;

function optionalEmail(value: string | null | undefined): string | null {
  const email = optionalText(value, 'email', 254);
  return email === null ? null : requireEmail(email, 'email');
}

// The registry is the network's shared directory: every signed-in account reads all of it (a hospital picks a
// destination, an agency sees where it drives). Only center administrators change it.

export interface HospitalFilterInput {
  status?: HospitalFilter['statuses'];
  nameContains?: string | null;
}

export async function listRegisteredHospitals(context: CenterContext, input: HospitalFilterInput, args: PageArgs): Promise<Connection<HospitalRow>> {
  requireViewer(context.viewer);
  const page = parsePage(args);
  const rows = await listHospitals(context.db, { statuses: input.status, nameContains: input.nameContains }, page);
  return toConnection(rows, page, (row) => ({ key: row.name, id: row.id }));
}

/** A registered hospital, or null for an id that is not one. */
export function loadHospital(context: CenterContext, id: string): Promise<HospitalRow | null> {
  requireViewer(context.viewer);
  return context.loaders.hospital.load(id);
}

export async function getHospital(context: CenterContext, id: string): Promise<HospitalRow> {
  const hospital = await loadHospital(context, id);
  if (!hospital) throw notFound('Hospital', id);
  return hospital;
}

export function createHospital(context: CenterContext, input: CreateHospitalInput): Promise<HospitalRow> {
  return auditedChange(context, { action: AuditAction.CREATE_HOSPITAL, entityType: 'Hospital', entityId: null }, async (commit) => {
    requireRole(context.viewer, CENTER_ADMIN_ROLES, 'add hospitals to the registry');
    const row = {
      id: newId(),
      name: requireText(input.name, 'name'),
      ...addressColumns(input.address),
      contact_name: optionalText(input.contactName, 'contactName', 200),
      phone: optionalText(input.phone, 'phone', 40),
      email: optionalEmail(input.email),
      status: input.status ?? 'ACTIVE',
    };
    return commit(
      (trx) => insertHospital(trx, row),
      (hospital) => hospital.id,
    );
  });
}

export function changeHospital(context: CenterContext, id: string, input: UpdateHospitalInput): Promise<HospitalRow> {
  // Which fields the change touches, by name; their values stay in the registry, not in the trail.
  const fields = Object.keys(input).filter((field) => input[field as keyof UpdateHospitalInput] !== undefined).sort().join(',');
  const target = { action: AuditAction.UPDATE_HOSPITAL, entityType: 'Hospital', entityId: isId(id) ? id : null, details: { fields } };
  return auditedChange(context, target, async (commit) => {
    requireRole(context.viewer, CENTER_ADMIN_ROLES, 'change the hospital registry');
    if (!isId(id)) throw notFound('Hospital', id);
    const changes: HospitalUpdate = {};
    if (input.name != null) changes.name = requireText(input.name, 'name');
    if (input.address != null) Object.assign(changes, addressColumns(input.address));
    if (input.contactName !== undefined) changes.contact_name = optionalText(input.contactName, 'contactName', 200);
    if (input.phone !== undefined) changes.phone = optionalText(input.phone, 'phone', 40);
    if (input.email !== undefined) changes.email = optionalEmail(input.email);
    if (input.status != null) changes.status = input.status;
    return commit(
      async (trx) => {
        const updated = await updateHospital(trx, id, changes);
        if (!updated) throw notFound('Hospital', id);
        return updated;
      },
      (hospital) => hospital.id,
    );
  });
}
