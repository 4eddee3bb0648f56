import { badInput } from '@medport/graphql';

// Deliberately loose: a dot-separated domain after one @, no spaces. Whether the mailbox exists is for mail to
// tell, not a regular expression.
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/** Trims and lower-cases an email address, so one mailbox is one spelling everywhere (and one account). */
export function requireEmail(value: string, field: string): string {
  const email = value.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) {
    throw badInput(`\`${field}\` must be an email address such as name@example.org.`, field);
  }
  return email;
}
