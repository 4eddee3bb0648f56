import type { EmsContext } from '../../context.js';
import {
  changeServiceArea,
  createServiceArea,
  removeServiceArea,
  type CreateServiceAreaInput,
  type UpdateServiceAreaInput,
} from './service-areas.manager.js';
import type { ServiceAreaRow } from './service-areas.table.js';

export const serviceAreaResolvers = {
  Mutation: {
    createServiceArea: (_: unknown, args: { input: CreateServiceAreaInput }, context: EmsContext) =>
      createServiceArea(context, args.input),
    updateServiceArea: (_: unknown, args: { id: string; input: UpdateServiceAreaInput }, context: EmsContext) =>
      changeServiceArea(context, args.id, args.input),
    deleteServiceArea: (_: unknown, args: { id: string }, context: EmsContext) => removeServiceArea(context, args.id),
  },
  ServiceArea: {
    agency: (area: ServiceAreaRow, _: unknown, context: EmsContext) => context.loaders.agency.load(area.agency_id),
    center: (area: ServiceAreaRow) => ({ latitude: area.center_latitude, longitude: area.center_longitude }),
    radiusKm: (area: ServiceAreaRow) => area.radius_km,
    isActive: (area: ServiceAreaRow) => area.is_active,
  },
};
