import { parsePage, toConnection, type PageArgs } from '@medport/graphql';
import type { CenterContext } from '../../context.js';
import { jsonText } from '@medport/database';
import { listRegistrations, type ServiceRegistrationFilter } from './service-registry.repository.js';
import type { ServiceRegistrationRow } from './service-registry.table.js';

export interface ServiceRegistrationFilterInput {
  status?: ServiceRegistrationFilter['statuses'];
}

export const serviceRegistryResolvers = {
  Query: {
    serviceRegistrations: async (
      _: unknown,
      args: PageArgs & { filter?: ServiceRegistrationFilterInput | null },
      context: CenterContext,
    ) => {
      const page = parsePage(args);
      const rows = await listRegistrations(context.db, { statuses: args.filter?.status }, page);
      return toConnection(rows, page, (row) => ({ key: row.service_name, id: row.id }));
    },
  },
  ServiceRegistration: {
    __resolveReference: (reference: { id: string }, context: CenterContext) => context.loaders.serviceRegistration.load(reference.id),
    serviceName: (registration: ServiceRegistrationRow) => registration.service_name,
    serviceType: (registration: ServiceRegistrationRow) => registration.service_type,
    agency: (registration: ServiceRegistrationRow) => ({ __typename: 'Agency', id: registration.agency_id }),
    addedBy: (registration: ServiceRegistrationRow, _: unknown, context: CenterContext) =>
      registration.added_by_id ? context.loaders.user.load(registration.added_by_id) : null,
    addedAt: (registration: ServiceRegistrationRow) => registration.added_at,
    configuration: (registration: ServiceRegistrationRow) => jsonText(registration.configuration),
    updatedAt: (registration: ServiceRegistrationRow) => registration.updated_at,
  },
};
