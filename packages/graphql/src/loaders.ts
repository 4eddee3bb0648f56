import DataLoader from 'dataloader';
import { isId } from './validation.js';

/**
 * A per-request loader of rows by id: one query per batch, results returned in the order of the keys, null for
 * ids that do not exist. Ids come from clients (arguments, `_entities` representations): one that is not a UUID
 * cannot exist, so it resolves to null without reaching SQL, where its failed uuid cast would fail the batch.
 */
export function rowsById<Row extends { id: string }>(fetch: (ids: readonly string[]) => Promise<Row[]>) {
  return new DataLoader<string, Row | null>(async (ids) => {
    const wellFormed = ids.filter(isId);
    const rows = wellFormed.length > 0 ? await fetch(wellFormed) : [];
    const byId = new Map(rows.map((row) => [row.id, row]));
    // PostgreSQL returns uuids in lower case; a client may have sent upper case.
    return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
  });
}

/**
 * A per-request loader of the rows that belong to each id (e.g. the units of each agency), in one query. Like
 * `rowsById`, an id that is not a UUID has no rows and never reaches SQL.
 */
export function rowsByGroup<Row>(fetch: (ids: readonly string[]) => Promise<Row[]>, groupOf: (row: Row) => string) {
  return new DataLoader<string, Row[]>(async (keys) => {
    const wellFormed = keys.filter(isId);
    const rows = wellFormed.length > 0 ? await fetch(wellFormed) : [];
    const groups = new Map<string, Row[]>(keys.map((key) => [key.toLowerCase(), []]));
    for (const row of rows) groups.get(groupOf(row))?.push(row);
    return keys.map((key) => groups.get(key.toLowerCase())!);
  });
}
