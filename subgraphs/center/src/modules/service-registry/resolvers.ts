import type { ServiceStatus } from '@medport/domain';
import type { PageArgs } from '@medport/graphql';
import type { CenterContext } from '../../context.js';
import { jsonText } from '@medport/database';
import { loadVisibleUser } from '../users/users.manager.js';
import {
  listServiceRegistrations,
  loadServiceRegistration,
  registerService,
  setServiceStatus,
  type RegisterServiceInput,
  type ServiceRegistrationFilterInput,
} from './service-registry.manager.js';
import type { ServiceRegistrationRow } from './service-registry.table.js';

export const serviceRegistryResolvers = {
  Query: {
    serviceRegistrations: (_: unknown, args: PageArgs & { filter?: ServiceRegistrationFilterInput | null }, context: CenterContext) =>
      listServiceRegistrations(context, args.filter ?? {}, args),
  },
  Mutation: {
    registerService: (_: unknown, args: { input: RegisterServiceInput }, context: CenterContext) => registerService(context, args.input),
    setServiceStatus: (_: unknown, args: { id: string; status: ServiceStatus }, context: CenterContext) => setServiceStatus(context, args.id, args.status),
  },
  ServiceRegistration: {
    __resolveReference: (reference: { id: string }, context: CenterContext) => loadServiceRegistration(context, reference.id),
    serviceName: (registration: ServiceRegistrationRow) => registration.service_name,
    serviceType: (registration: ServiceRegistrationRow) => registration.service_type,
    agency: (registration: ServiceRegistrationRow) => ({ __typename: 'Agency', id: registration.agency_id }),
    addedBy: (registration: ServiceRegistrationRow, _: unknown, context: CenterContext) =>
      registration.added_by_id ? loadVisibleUser(context, registration.added_by_id) : null,
    addedAt: (registration: ServiceRegistrationRow) => registration.added_at,
    configuration: (registration: ServiceRegistrationRow) => jsonText(registration.configuration),
    updatedAt: (registration: ServiceRegistrationRow) => registration.updated_at,
  },
};
