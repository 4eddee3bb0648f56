import { addressOf, type PageArgs } from '@medport/graphql';
import type { EmsContext } from '../../context.js';
import { agencyUnitConnection } from '../units/units.manager.js';
import {
  agencyConnection,
  changeAgency,
  getAgency,
  toRepositoryFilter,
  type AgencyFilterInput,
  type UpdateAgencyInput,
} from './agencies.manager.js';
import type { AgencyRow } from './agencies.table.js';

export const agencyResolvers = {
  Query: {
    agencies: (_: unknown, args: PageArgs & { filter?: AgencyFilterInput | null }, context: EmsContext) =>
      agencyConnection(context, toRepositoryFilter(args.filter ?? {}), args),
    agency: (_: unknown, args: { id: string }, context: EmsContext) => getAgency(context, args.id),
  },
  Mutation: {
    updateAgency: (_: unknown, args: { id: string; input: UpdateAgencyInput }, context: EmsContext) =>
      changeAgency(context, args.id, args.input),
  },
  Agency: {
    // Batched: the gateway resolves every Agency reference of a response in one statement. Agencies are a
    // directory every signed-in caller reads; what they run (units, areas, routes) is scoped below.
    __resolveReference: (reference: { id: string }, context: EmsContext) => context.loaders.agency.load(reference.id),
    contactName: (agency: AgencyRow) => agency.contact_name,
    address: (agency: AgencyRow) => addressOf(agency),
    operatingHours: (agency: AgencyRow) => agency.operating_hours,
    capabilities: (agency: AgencyRow) => agency.levels,
    isActive: (agency: AgencyRow) => agency.is_active,
    units: (agency: AgencyRow, args: PageArgs & { includeInactive?: boolean | null }, context: EmsContext) =>
      agencyUnitConnection(context, agency.id, args),
    serviceAreas: (agency: AgencyRow, _: unknown, context: EmsContext) => context.loaders.serviceAreasByAgency.load(agency.id),
    routes: (agency: AgencyRow, _: unknown, context: EmsContext) => context.loaders.routesByAgency.load(agency.id),
    addedAt: (agency: AgencyRow) => agency.added_at,
    updatedAt: (agency: AgencyRow) => agency.updated_at,
  },
};
