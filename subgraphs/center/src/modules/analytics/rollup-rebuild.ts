import type { Executor } from '@medport/database';
import type { CenterDatabase } from '../../database.js';
import { analyticsTimeZone } from './analytics.config.js';
import { deleteRollups, insertRollups, readTripFactsPage } from './analytics.repository.js';
import { addToSums, contributionsOf, type RollupSums } from './rollups.js';

const FACT_PAGE = 5_000;

/**
 * Recomputes every rollup from the stored facts, with the same contributions the consumers apply one event at a
 * time. Used where facts are written without their events' consumers: the demo seed, the data generator, and a
 * database that had facts before rollups existed.
 */
export async function rebuildRollupsFromFacts(db: Executor<CenterDatabase>, timeZone = analyticsTimeZone()): Promise<number> {
  const rollups: RollupSums = new Map();
  let facts = 0;
  for (let after: string | null = null; ; ) {
    const page = await readTripFactsPage(db, after, FACT_PAGE);
    for (const fact of page) {
      for (const row of contributionsOf(fact, timeZone)) addToSums(rollups, row);
    }
    facts += page.length;
    if (page.length < FACT_PAGE) break;
    after = page[page.length - 1]!.trip_id;
  }
  await deleteRollups(db);
  await insertRollups(db, [...rollups.values()]);
  return facts;
}
