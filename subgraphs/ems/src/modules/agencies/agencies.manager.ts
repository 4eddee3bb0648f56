import { auditedChange } from '@medport/audit';
import { forbidden, requireActingFor, requireRole } from '@medport/auth';
import type { ServiceStatus, SpecialRequirement, TransportLevel, UserRole } from '@medport/domain';
import {
  addressColumns,
  badInput,
  hiddenRecord,
  isId,
  notFound,
  optionalText,
  parsePage,
  requireDistinct,
  requireText,
  toConnection,
  type AddressInput,
  type Connection,
  type PageArgs,
} from '@medport/graphql';
import type { EmsContext } from '../../context.js';
import { scopeOf } from '../../scope.js';
import { findAgenciesByIds, listAgencies, updateAgency, type AgencyFilter } from './agencies.repository.js';
import type { AgencyRow, AgencyUpdate } from './agencies.table.js';

export interface UpdateAgencyInput {
  name?: string | null;
  contactName?: string | null;
  phone?: string | null;
  email?: string | null;
  address?: AddressInput | null;
  operatingHours?: string | null;
  capabilities?: TransportLevel[] | null;
  equipment?: SpecialRequirement[] | null;
  isActive?: boolean | null;
}

export interface AgencyFilterInput {
  status?: ServiceStatus[] | null;
  capability?: TransportLevel | null;
  nameContains?: string | null;
  includeInactive?: boolean | null;
}

/** An agency's administrators keep its profile; center administrators keep every agency's. */
const AGENCY_EDITORS: readonly UserRole[] = ['CENTER_ADMIN', 'EMS_ADMIN'];
/**
 * Whether an agency takes part in the network (receives offers at all) is the center's decision alone: retiring it
 * here, suspending it through the center's service registry (setServiceStatus), never both ways.
 */
const CENTER_ONLY_FIELDS = ['isActive'] as const;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function toRepositoryFilter(input: AgencyFilterInput): AgencyFilter {
  return {
    statuses: input.status ?? null,
    capability: input.capability ?? null,
    nameContains: input.nameContains?.trim() || null,
    includeInactive: input.includeInactive ?? false,
  };
}

/** The agencies a caller sees: all of them for hospitals and the center, its own for an agency. */
export async function agencyConnection(context: EmsContext, filter: AgencyFilter, args: PageArgs): Promise<Connection<AgencyRow>> {
  const page = parsePage(args);
  const rows = await listAgencies(context.db, scopeOf(context).agencyRecords, filter, page);
  // Units and service areas in the same response point back at these agencies; they need no second read.
  for (const row of rows) context.loaders.agency.prime(row.id, row);
  return toConnection(rows, page, (row) => ({ key: row.name, id: row.id }));
}

/** An agency that provides no level of care could never be offered a trip. */
function requireLevels(levels: TransportLevel[]): TransportLevel[] {
  if (levels.length === 0) throw badInput('`capabilities` must name at least one transport level.', 'capabilities');
  return [...requireDistinct(levels, 'capabilities')];
}

function requireEmail(value: string | null | undefined): string | null {
  const email = optionalText(value, 'email', 200);
  // Offers and dispatch notices go to this address; a typo here silently loses them.
  if (email && !EMAIL.test(email)) throw badInput('`email` must be an e-mail address.', 'email');
  return email;
}

/** One agency the caller sees; another agency is NOT_FOUND for an agency's staff, exactly like an unknown id. */
export async function getAgency(context: EmsContext, id: string): Promise<AgencyRow> {
  const agency = isId(id) ? await context.loaders.agency.load(id) : null;
  if (agency) return agency;
  // Only to tell the audit trail a refusal from a typo; the caller gets the same answer either way.
  const exists = isId(id) && (await findAgenciesByIds(context.db, { kind: 'ALL' }, [id])).length > 0;
  throw exists ? hiddenRecord('Agency', id) : notFound('Agency', id);
}

/**
 * Changes an agency. Its administrators may change its profile; retiring it (`isActive`) only the center may; for
 * another agency's administrators it does not exist (NOT_FOUND). Its status follows the center's registry.
 */
export function changeAgency(context: EmsContext, id: string, input: UpdateAgencyInput): Promise<AgencyRow> {
  const target = { action: 'UPDATE_AGENCY', entityType: 'Agency', entityId: id, details: { fields: Object.keys(input).sort().join(',') } };
  return auditedChange(context, target, async (commit) => {
    const viewer = requireRole(context.viewer, AGENCY_EDITORS, 'change agencies');
    const centerOnly = CENTER_ONLY_FIELDS.filter((field) => input[field] != null);
    if (viewer.role !== 'CENTER_ADMIN' && centerOnly.length > 0) {
      throw forbidden(`Only the transport center may change ${centerOnly.map((field) => `\`${field}\``).join(' and ')}.`);
    }
    const agency = await getAgency(context, id);
    requireActingFor(viewer, agency.id, 'You may only change your own agency.');
    const changes = agencyChanges(input);
    return commit(
      async (trx) => {
        if (Object.keys(changes).length === 0) return agency;
        const updated = await updateAgency(trx, agency.id, changes);
        if (!updated) throw notFound('Agency', id);
        return updated;
      },
      (row) => row.id,
    );
  });
}

function agencyChanges(input: UpdateAgencyInput): AgencyUpdate {
  const changes: AgencyUpdate = {};
  // Any name is accepted, one another agency carries too: names identify nothing (the center's registry keeps
  // registrations apart), and a refusal would tell an agency's staff what other agencies are called.
  if (input.name != null) changes.name = requireText(input.name, 'name');
  if (input.contactName !== undefined) changes.contact_name = optionalText(input.contactName, 'contactName', 200);
  if (input.phone !== undefined) changes.phone = optionalText(input.phone, 'phone', 40);
  if (input.email !== undefined) changes.email = requireEmail(input.email);
  if (input.address != null) Object.assign(changes, addressColumns(input.address));
  if (input.operatingHours !== undefined) changes.operating_hours = optionalText(input.operatingHours, 'operatingHours', 200);
  if (input.capabilities != null) changes.levels = requireLevels(input.capabilities);
  if (input.equipment != null) changes.equipment = [...requireDistinct(input.equipment, 'equipment')];
  if (input.isActive != null) changes.is_active = input.isActive;
  return changes;
}
