import { addressOf, type PageArgs } from '@medport/graphql';
import type { CenterContext } from '../../context.js';
import {
  changeHospital,
  createHospital,
  getHospital,
  listRegisteredHospitals,
  loadHospital,
  type CreateHospitalInput,
  type HospitalFilterInput,
  type UpdateHospitalInput,
} from './hospitals.manager.js';
import type { HospitalRow } from './hospitals.table.js';

export const hospitalResolvers = {
  Query: {
    hospitals: (_: unknown, args: PageArgs & { filter?: HospitalFilterInput | null }, context: CenterContext) =>
      listRegisteredHospitals(context, args.filter ?? {}, args),
    hospital: (_: unknown, args: { id: string }, context: CenterContext) => getHospital(context, args.id),
  },
  Mutation: {
    createHospital: (_: unknown, args: { input: CreateHospitalInput }, context: CenterContext) => createHospital(context, args.input),
    updateHospital: (_: unknown, args: { id: string; input: UpdateHospitalInput }, context: CenterContext) =>
      changeHospital(context, args.id, args.input),
  },
  Hospital: {
    __resolveReference: (reference: { id: string }, context: CenterContext) => loadHospital(context, reference.id),
    address: (hospital: HospitalRow) => addressOf(hospital),
    contactName: (hospital: HospitalRow) => hospital.contact_name,
    createdAt: (hospital: HospitalRow) => hospital.created_at,
    updatedAt: (hospital: HospitalRow) => hospital.updated_at,
  },
};
