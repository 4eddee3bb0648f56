import { sql, type Kysely } from 'kysely';
import type { Stack } from './stack.js';

/**
 * Retries `check` until it stops throwing: the other silos learn a change from events, a few milliseconds later.
 * The last failure is rethrown when time runs out, so a test says what never happened.
 */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** Reads a silo's database directly, to assert what each silo holds. */
export function siloDb(stack: Stack, silo: 'hospital' | 'ems' | 'center'): Kysely<any> {
  return stack.subgraphs[silo].database.db as Kysely<any>;
}

/** Rows of a raw query against one silo. */
export async function rows<Row = Record<string, any>>(stack: Stack, silo: 'hospital' | 'ems' | 'center', query: ReturnType<typeof sql>): Promise<Row[]> {
  return (await query.execute(siloDb(stack, silo))).rows as Row[];
}

export { sql };
