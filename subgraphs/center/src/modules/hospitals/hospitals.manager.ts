import { newId, type ServiceStatus } from '@medport/domain';
import { isId, notFound, optionalText, requireText } from '@medport/graphql';
import type { CenterContext } from '../../context.js';
import { requireEmail } from '../users/email.js';
import { insertHospital, updateHospital } from './hospitals.repository.js';
import type { HospitalRow, HospitalUpdate } from './hospitals.table.js';

export interface AddressInput {
  line: string;
  city: string;
  state: string;
  postalCode: string;
}

export interface CreateHospitalInput {
  name: string;
  address: AddressInput;
  contactName?: string | null;
  phone?: string | null;
  email?: string | null;
  status?: ServiceStatus | null;
}

export type UpdateHospitalInput = Partial<CreateHospitalInput>;

function addressColumns(address: AddressInput) {
  return {
    address_line: requireText(address.line, 'address.line'),
    city: requireText(address.city, 'address.city', 100),
    state: requireText(address.state, 'address.state', 50),
    postal_code: requireText(address.postalCode, 'address.postalCode', 20),
  };
}

function optionalEmail(value: string | null | undefined): string | null {
  const email = optionalText(value, 'email', 254);
  return email === null ? null : requireEmail(email, 'email');
}

export async function getHospital(context: CenterContext, id: string): Promise<HospitalRow> {
  const hospital = isId(id) ? await context.loaders.hospital.load(id) : null;
  if (!hospital) throw notFound('Hospital', id);
  return hospital;
}

export async function createHospital(context: CenterContext, input: CreateHospitalInput): Promise<HospitalRow> {
  return insertHospital(context.db, {
    id: newId(),
    name: requireText(input.name, 'name'),
    ...addressColumns(input.address),
    contact_name: optionalText(input.contactName, 'contactName', 200),
    phone: optionalText(input.phone, 'phone', 40),
    email: optionalEmail(input.email),
    status: input.status ?? 'ACTIVE',
  });
}

export async function changeHospital(context: CenterContext, id: string, input: UpdateHospitalInput): Promise<HospitalRow> {
  if (!isId(id)) throw notFound('Hospital', id);
  const changes: HospitalUpdate = {};
  if (input.name != null) changes.name = requireText(input.name, 'name');
  if (input.address != null) Object.assign(changes, addressColumns(input.address));
  if (input.contactName !== undefined) changes.contact_name = optionalText(input.contactName, 'contactName', 200);
  if (input.phone !== undefined) changes.phone = optionalText(input.phone, 'phone', 40);
  if (input.email !== undefined) changes.email = optionalEmail(input.email);
  if (input.status != null) changes.status = input.status;
  const updated = await updateHospital(context.db, id, changes);
  if (!updated) throw notFound('Hospital', id);
  return updated;
}
