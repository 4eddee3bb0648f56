import { Migrator, sql, type Kysely, type Migration } from 'kysely';

/**
 * Runs a silo's migrations, given as an ordered record of name → migration kept in code (no file-system
 * discovery, so the same list works from sources, a bundle or a container image).
 */
export async function migrateToLatest(db: Kysely<any>, migrations: Record<string, Migration>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (error || failed) {
    // PGlite rejects with objects that are not Errors but carry a message; keep the original as the cause.
    const cause: unknown = error ?? new Error('unknown error');
    const message = (cause as { message?: unknown }).message;
    throw new Error(`Migration ${failed?.migrationName ?? ''} failed: ${typeof message === 'string' ? message : String(cause)}`, { cause });
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}

/** A CHECK expression limiting a text column to the values of an enum. */
export function oneOf(column: string, values: readonly string[]) {
  return sql`${sql.ref(column)} in (${sql.join(values.map((value) => sql.lit(value)))})`;
}

/** A CHECK expression limiting a text[] column to values of an enum. */
export function allOf(column: string, values: readonly string[]) {
  return sql`${sql.ref(column)} <@ array[${sql.join(values.map((value) => sql.lit(value)))}]::text[]`;
}
