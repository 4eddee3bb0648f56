import DataLoader from 'dataloader';

/**
 * A per-request loader of rows by id: one query per batch, results returned in the order of the keys, null for
 * ids that do not exist.
 */
export function rowsById<Row extends { id: string }>(fetch: (ids: readonly string[]) => Promise<Row[]>) {
  return new DataLoader<string, Row | null>(async (ids) => {
    const rows = await fetch(ids);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** A per-request loader of the rows that belong to each key (e.g. the units of each agency), in one query. */
export function rowsByGroup<Row>(fetch: (keys: readonly string[]) => Promise<Row[]>, groupOf: (row: Row) => string) {
  return new DataLoader<string, Row[]>(async (keys) => {
    const rows = await fetch(keys);
    const groups = new Map<string, Row[]>(keys.map((key) => [key, []]));
    for (const row of rows) groups.get(groupOf(row))?.push(row);
    return keys.map((key) => groups.get(key)!);
  });
}
