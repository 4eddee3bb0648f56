import { parsePage, toConnection, type PageArgs } from '@medport/graphql';
import type { CenterContext } from '../../context.js';
import { changeHospital, createHospital, getHospital, type CreateHospitalInput, type UpdateHospitalInput } from './hospitals.manager.js';
import { listHospitals, type HospitalFilter } from './hospitals.repository.js';
import type { HospitalRow } from './hospitals.table.js';

export interface HospitalFilterInput {
  status?: HospitalFilter['statuses'];
  nameContains?: string | null;
}

export const hospitalResolvers = {
  Query: {
    hospitals: async (_: unknown, args: PageArgs & { filter?: HospitalFilterInput | null }, context: CenterContext) => {
      const page = parsePage(args);
      const rows = await listHospitals(context.db, { statuses: args.filter?.status, nameContains: args.filter?.nameContains }, page);
      return toConnection(rows, page, (row) => ({ key: row.name, id: row.id }));
    },
    hospital: (_: unknown, args: { id: string }, context: CenterContext) => getHospital(context, args.id),
  },
  Mutation: {
    createHospital: (_: unknown, args: { input: CreateHospitalInput }, context: CenterContext) => createHospital(context, args.input),
    updateHospital: (_: unknown, args: { id: string; input: UpdateHospitalInput }, context: CenterContext) =>
      changeHospital(context, args.id, args.input),
  },
  Hospital: {
    __resolveReference: (reference: { id: string }, context: CenterContext) => context.loaders.hospital.load(reference.id),
    address: (hospital: HospitalRow) => ({
      line: hospital.address_line,
      city: hospital.city,
      state: hospital.state,
      postalCode: hospital.postal_code,
    }),
    contactName: (hospital: HospitalRow) => hospital.contact_name,
    createdAt: (hospital: HospitalRow) => hospital.created_at,
    updatedAt: (hospital: HospitalRow) => hospital.updated_at,
  },
};
