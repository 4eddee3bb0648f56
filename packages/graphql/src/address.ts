import { requireText } from './validation.js';

/** The shared `AddressInput` / `Address` types, as stored in the columns every silo uses for an address. */
export interface AddressInput {
  line: string;
  city: string;
  state: string;
  postalCode: string;
}

export interface AddressColumns {
  address_line: string;
  city: string;
  state: string;
  postal_code: string;
}

/** Validates an address input (BAD_USER_INPUT naming the field) and returns its columns. */
export function addressColumns(address: AddressInput): AddressColumns {
  return {
    address_line: requireText(address.line, 'address.line'),
    city: requireText(address.city, 'address.city', 100),
    state: requireText(address.state, 'address.state', 50),
    postal_code: requireText(address.postalCode, 'address.postalCode', 20),
  };
}

/** The `Address` of a row that stores one in the shared columns. */
export function addressOf(row: AddressColumns) {
  return { line: row.address_line, city: row.city, state: row.state, postalCode: row.postal_code };
}
