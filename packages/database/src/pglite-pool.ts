import { PGlite } from '@electric-sql/pglite';

/**
 * Presents an embedded PGlite database as the small part of a `pg` Pool that Kysely's PostgresDialect uses, so
 * the embedded default and PostgreSQL run through the same dialect and the same SQL.
 *
 * PGlite is a single connection: a transaction holds it exclusively, so `connect()` queues callers until the
 * previous one releases it.
 */
export class PGlitePool {
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly pglite: PGlite) {}

  async connect() {
    let release!: () => void;
    const previous = this.queue;
    this.queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    const pglite = this.pglite;
    return {
      async query(sql: string, parameters: readonly unknown[]) {
        const result = await pglite.query<Record<string, unknown>>(sql, parameters as unknown[]);
        return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length, command: commandOf(sql) };
      },
      release() {
        release();
      },
    };
  }

  async end(): Promise<void> {
    await this.queue;
    await this.pglite.close();
  }
}

function commandOf(sql: string): string {
  return sql.trimStart().split(/\s/, 1)[0]?.toUpperCase() ?? '';
}
