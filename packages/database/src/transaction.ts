import { sql } from 'kysely';
import type { Kysely, Transaction } from 'kysely';

/** Either the database or an open transaction: repository functions take this first so they can join one. */
export type Executor<DB> = Kysely<DB> | Transaction<DB>;

/**
 * Runs `work` in a transaction, or inside the caller's transaction when one is already open, so that a change
 * and whatever must commit with it (an outbox event, an audit record) commit together.
 */
export async function inTransaction<DB, T>(executor: Executor<DB>, work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  if (executor.isTransaction) return work(executor as Transaction<DB>);
  return executor.transaction().execute(work);
}

/**
 * A statement label, appended as a comment (`.modifyEnd(label('listTransportRequests'))`), so a slow or failing
 * statement in PostgreSQL's logs or pg_stat_activity names the code that sent it.
 */
export function label(name: string) {
  if (!/^[A-Za-z0-9_.]+$/.test(name)) throw new Error(`Invalid statement label: ${name}`);
  return sql.raw(`/* ${name} */`);
}

/** An ILIKE pattern matching values that contain `text` literally (its % and _ are not wildcards). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (match) => `\\${match}`)}%`;
}
