import type { AuditDetails } from '@medport/audit';

type AuditValue = AuditDetails[string];

/**
 * The audit details of a change to a record of several fields: `before.<field>` and `after.<field>` for each field
 * that changed (only `after.<field>` for a record just created), and `changed`, the fields' names. One key per field
 * rather than one JSON document: the audit writer bounds each value's length, and a long text cut short still
 * reads as text, where a cut JSON document would no longer parse.
 */
export function changeDetails(before: Record<string, AuditValue> | null, after: Record<string, AuditValue>): AuditDetails {
  const changed = Object.keys(after).filter((field) => before === null || before[field] !== after[field]);
  const details: AuditDetails = { changed: changed.join(',') };
  for (const field of changed) {
    if (before !== null) details[`before.${field}`] = before[field] ?? null;
    details[`after.${field}`] = after[field] ?? null;
  }
  return details;
}

/** A list as one audit value: its items joined by commas, empty for an empty list. */
export const listDetail = (items: readonly string[]): string => items.join(',');
