import { CENTER_STAFF_ROLES, isCenterStaff, requireRole, requireViewer } from '@medport/auth';
import { parsePage, toConnection, type Connection, type PageArgs } from '@medport/graphql';
import type { CenterContext } from '../../context.js';
import { listRegistrations, type ServiceRegistrationFilter } from './service-registry.repository.js';
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
