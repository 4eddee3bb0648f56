/**
 * A consumer in its own process that kills itself with SIGKILL inside the transaction of its Nth batch, after the
 * handlers ran and before the events are recorded as applied. The crash test runs it with node --import tsx.
 *
 * Environment: CONSUMER_DATABASE_URL, FEED_URL, CRASH_AT_BATCH (0: never), BATCH_SIZE.
 */
import { writeSync } from 'node:fs';
import { openDatabase } from '@medport/database';
import { httpFeedSource, type FeedEvent } from '../src/index.js';
import { consume, definition, FEED_SECRET, recordEffect, recordingLogger, type ConsumerTables, type Silo } from './support.js';

const url = process.env.CONSUMER_DATABASE_URL!;
const crashAt = Number(process.env.CRASH_AT_BATCH ?? 0);
const handle = openDatabase<ConsumerTables>({ name: 'ems', url });
const silo: Silo = { handle, db: handle.db, databaseName: undefined, url, close: () => handle.close() };

let batches = 0;
let handledInBatch = 0;
// Written synchronously: the process dies right after.
const report = (message: object) => writeSync(1, `${JSON.stringify(message)}\n`);

consume(silo, {
  feed: httpFeedSource('hospital', process.env.FEED_URL!, FEED_SECRET),
  batchSize: Number(process.env.BATCH_SIZE ?? 10),
  logger: recordingLogger(),
  definition: definition({
    TripOffered: async (trx, event) => {
      await recordEffect(trx, event, `pid-${process.pid}`);
      handledInBatch += 1;
    },
  }),
  beforeAcknowledge: (events: readonly FeedEvent[]) => {
    batches += 1;
    if (batches === crashAt) {
      report({ crashing: batches, events: events.map((event) => event.id), handled: handledInBatch });
      process.kill(process.pid, 'SIGKILL');
    }
    handledInBatch = 0;
  },
});
report({ started: process.pid });
