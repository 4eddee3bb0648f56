import { auditedChange } from '@medport/audit';
import { CENTER_ADMIN_ROLES, CENTER_STAFF_ROLES, isCenterStaff, requireRole, requireViewer } from '@medport/auth';
import { jsonText, type JsonValue } from '@medport/database';
import { newId, type EventContracts, type ServiceStatus, type SpecialRequirement, type TransportLevel } from '@medport/domain';
import { publishEvent } from '@medport/events';
import {
  addressColumns,
  addressOf,
  badInput,
  conflict,
  isId,
  notFound,
  optionalText,
  parsePage,
  requireDistinct,
  requireGeoPoint,
  requireText,
  toConnection,
  type AddressInput,
  type Connection,
  type PageArgs,
} from '@medport/graphql';
import { AuditAction } from '../../audit.js';
import type { CenterContext } from '../../context.js';
import { requireEmail } from '../users/email.js';
import { insertRegistration, listRegistrations, lockRegistration, updateRegistrationStatus, type ServiceRegistrationFilter } from './service-registry.repository.js';
import type { ServiceRegistrationRow } from './service-registry.table.js';

// The terms the center sets for each agency are the center's business: its staff read them, nobody else.

export interface ServiceRegistrationFilterInput {
  status?: ServiceRegistrationFilter['statuses'];
}

export async function listServiceRegistrations(
  context: CenterContext,
  input: ServiceRegistrationFilterInput,
  args: PageArgs,
): Promise<Connection<ServiceRegistrationRow>> {
  requireRole(context.viewer, CENTER_STAFF_ROLES, 'read the service registry');
  const page = parsePage(args);
  const rows = await listRegistrations(context.db, { statuses: input.status }, page);
  return toConnection(rows, page, (row) => ({ key: row.service_name, id: row.id }));
}

/** A registration by reference: null for anyone but center staff, as for an unknown id, and without a query. */
export async function loadServiceRegistration(context: CenterContext, id: string): Promise<ServiceRegistrationRow | null> {
  if (!isCenterStaff(requireViewer(context.viewer))) return null;
  return context.loaders.serviceRegistration.load(id);
}

export interface RegisterServiceAreaInput {
  name: string;
  center: { latitude: number; longitude: number };
  radiusKm: number;
}

export interface RegisterServiceInput {
  name: string;
  capabilities: TransportLevel[];
  equipment?: SpecialRequirement[] | null;
  contactName?: string | null;
  phone?: string | null;
  email?: string | null;
  address: AddressInput;
  serviceArea?: RegisterServiceAreaInput | null;
  configuration?: string | null;
}

export const SERVICE_NAME_LENGTH = { min: 2, max: 120 } as const;
export const MAX_SERVICE_RADIUS_KM = 500;
// Terms are a handful of settings; a document larger than this is a mistake, not a configuration.
const MAX_CONFIGURATION_LENGTH = 10_000;

function requireServiceName(value: string): string {
  const name = requireText(value, 'name', SERVICE_NAME_LENGTH.max);
  if (name.length < SERVICE_NAME_LENGTH.min) throw badInput(`\`name\` must be at least ${SERVICE_NAME_LENGTH.min} characters.`, 'name');
  return name;
}

/** An agency that provides no level of care could never be offered a trip. */
function requireCapabilities(levels: readonly TransportLevel[]): TransportLevel[] {
  if (levels.length === 0) throw badInput('`capabilities` must name at least one transport level.', 'capabilities');
  return [...requireDistinct(levels, 'capabilities')];
}

// Loose on purpose: digits with the usual separators and an optional extension. Whether the number rings is for
// a phone to tell; this only catches what cannot be a number at all (a name, an email in the wrong field).
const PHONE = /^\+?[0-9 ().\/-]+((x|ext\.?) ?[0-9]{1,6})?$/i;

function optionalPhone(value: string | null | undefined): string | null {
  const phone = optionalText(value, 'phone', 40);
  if (phone === null) return null;
  const digits = phone.replace(/[^0-9]/g, '').length;
  if (!PHONE.test(phone) || digits < 7) throw badInput('`phone` must be a phone number such as +1 555 010 0199.', 'phone');
  return phone;
}

function optionalEmail(value: string | null | undefined): string | null {
  const email = optionalText(value, 'email', 254);
  return email === null ? null : requireEmail(email, 'email');
}

function serviceAreaOf(input: RegisterServiceAreaInput | null | undefined): EventContracts['ServiceRegistered']['serviceArea'] {
  if (!input) return null;
  const name = requireText(input.name, 'serviceArea.name');
  const center = requireGeoPoint(input.center, 'serviceArea.center');
  if (!Number.isFinite(input.radiusKm) || input.radiusKm <= 0 || input.radiusKm > MAX_SERVICE_RADIUS_KM) {
    throw badInput(`\`serviceArea.radiusKm\` must be more than 0 and at most ${MAX_SERVICE_RADIUS_KM}.`, 'serviceArea.radiusKm');
  }
  return { name, latitude: center.latitude, longitude: center.longitude, radiusKm: input.radiusKm };
}

/** The network terms as given: a JSON object in text, or an empty one when left out. */
function configurationOf(text: string | null | undefined): { [key: string]: JsonValue } {
  if (text === null || text === undefined || text.trim() === '') return {};
  const refuse = () => badInput('`configuration` must be a JSON object, such as {"maxConcurrentTrips": 4}.', 'configuration');
  if (text.length > MAX_CONFIGURATION_LENGTH) {
    throw badInput(`\`configuration\` must be at most ${MAX_CONFIGURATION_LENGTH} characters.`, 'configuration');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw refuse();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw refuse();
  return parsed as { [key: string]: JsonValue };
}

/**
 * Adds an EMS agency to the network: its registration here and the ServiceRegistered event that makes the ems
 * silo create the agency, in one transaction, so neither exists without the other. The agency gets its id here;
 * ems keeps its operational record under that id.
 */
export function registerService(context: CenterContext, input: RegisterServiceInput): Promise<ServiceRegistrationRow> {
  return auditedChange(context, { action: AuditAction.REGISTER_SERVICE, entityType: 'ServiceRegistration', entityId: null }, async (commit) => {
    const viewer = requireRole(context.viewer, CENTER_ADMIN_ROLES, 'register agencies in the network');
    const name = requireServiceName(input.name);
    const levels = requireCapabilities(input.capabilities);
    const equipment = [...requireDistinct(input.equipment ?? [], 'equipment')];
    const contactName = optionalText(input.contactName, 'contactName', 200);
    const phone = optionalPhone(input.phone);
    const email = optionalEmail(input.email);
    const address = addressOf(addressColumns(input.address));
    const serviceArea = serviceAreaOf(input.serviceArea);
    const configuration = configurationOf(input.configuration);
    const agencyId = newId();
    return commit(
      async (trx) => {
        const registration = await insertRegistration(trx, {
          id: newId(),
          service_name: name,
          status: 'ACTIVE',
          agency_id: agencyId,
          added_by_id: viewer.userId,
          configuration: jsonText(configuration),
          // What the agency was registered with, as the event carried it; its live profile is the ems silo's.
          metadata: jsonText({
            levels,
            equipment,
            contactName,
            phone,
            email,
            address,
            serviceArea,
          }),
        });
        if (!registration) throw conflict(`An agency named "${name}" is already registered.`);
        await publishEvent(trx, 'ServiceRegistered', agencyId, {
          agencyId,
          registrationId: registration.id,
          name: registration.service_name,
          status: registration.status,
          levels,
          equipment,
          phone,
          email,
          contactName,
          address,
          serviceArea,
          registeredById: viewer.userId,
          registeredAt: registration.added_at.toISOString(),
        });
        return registration;
      },
      (registration) => registration.id,
    );
  });
}

/**
 * Suspends an agency (ACTIVE → SUSPENDED: it is offered no new trips) or brings it back (→ ACTIVE), in one
 * transaction with the ServiceStatusChanged event that tells ems and the hospitals. The trips it already accepted
 * go on. PENDING is where a registration starts, not a status to go back to. Center administrators only; the audit
 * record keeps the status before and after.
 */
export function setServiceStatus(context: CenterContext, id: string, status: ServiceStatus): Promise<ServiceRegistrationRow> {
  const target = { action: AuditAction.SET_SERVICE_STATUS, entityType: 'ServiceRegistration', entityId: id, details: { status } as Record<string, string> };
  return auditedChange(context, target, async (commit) => {
    const viewer = requireRole(context.viewer, CENTER_ADMIN_ROLES, 'suspend or reactivate agencies');
    if (status === 'PENDING') throw badInput('An agency is either ACTIVE or SUSPENDED; PENDING is only where a registration starts.', 'status');
    if (!isId(id)) throw notFound('ServiceRegistration', id);
    return commit(
      async (trx) => {
        const registration = await lockRegistration(trx, id);
        if (!registration) throw notFound('ServiceRegistration', id);
        if (registration.status === status) return registration;
        const changed = await updateRegistrationStatus(trx, id, status);
        await publishEvent(trx, 'ServiceStatusChanged', registration.agency_id, {
          agencyId: registration.agency_id,
          registrationId: registration.id,
          status,
          previousStatus: registration.status,
          changedById: viewer.userId,
          changedAt: changed.updated_at.toISOString(),
        });
        // The record of the change, written with it, keeps the status before and after.
        target.details = { before: registration.status, after: status };
        return changed;
      },
      (registration) => registration.id,
    );
  });
}
