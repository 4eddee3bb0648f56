import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningConsumer } from '../src/index.js';
import { caughtUp, consume, consumerRow, effects, openPostgresSilo, outboxInFeedOrder, publish, serveFeed, type FeedServer, type Silo } from './support.js';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
const script = fileURLToPath(new URL('./crashing-consumer.ts', import.meta.url));

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  messages: Record<string, unknown>[];
  stderr: string;
}

describe('a consumer process killed between applying and acknowledging (PostgreSQL)', () => {
  let producer: Silo;
  let consumer: Silo;
  let feed: FeedServer;
  const children = new Set<ChildProcess>();
  const running: RunningConsumer[] = [];

  beforeEach(async () => {
    [producer, consumer] = await Promise.all([openPostgresSilo('hospital'), openPostgresSilo('ems')]);
    feed = await serveFeed(producer);
  });

  afterEach(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    children.clear();
    try {
      await Promise.all(running.splice(0).map((consumer) => consumer.stop()));
      await feed?.close();
    } finally {
      await Promise.all([producer?.close(), consumer?.close()]);
    }
  });

  /** Runs the consumer script until it kills itself at its `crashAtBatch`th batch. */
  function runCrashingConsumer(crashAtBatch: number, batchSize: number): Promise<Exit> {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: repositoryRoot,
      env: { ...process.env, CONSUMER_DATABASE_URL: consumer.url!, FEED_URL: feed.url, CRASH_AT_BATCH: String(crashAtBatch), BATCH_SIZE: String(batchSize) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`The consumer process did not crash in time. stdout: ${stdout} stderr: ${stderr}`));
      }, 30_000);
      // 'close' comes after the exit and after the last output in the pipes.
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        const messages = stdout
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as Record<string, unknown>);
        resolve({ code, signal, messages, stderr });
      });
    });
  }

  it('loses and repeats nothing when the process dies inside the transaction of a batch, twice, and a consumer restarts', async () => {
    for (let transaction = 0; transaction < 6; transaction++) {
      await publish(producer.db, Array.from({ length: 10 }, (_, index) => `t${transaction}-${index}`));
    }
    const feedOrder = await outboxInFeedOrder(producer.db);
    expect(feedOrder).toHaveLength(60);

    // First run: two batches commit, the third is applied and dies before it is acknowledged.
    const first = await runCrashingConsumer(3, 10);
    expect(first.signal, first.stderr).toBe('SIGKILL');
    const crash = first.messages.find((message) => 'crashing' in message)!;
    expect(crash).toMatchObject({ crashing: 3, handled: 10 });
    expect(crash.events).toEqual(feedOrder.slice(20, 30).map((row) => row.id));
    // Its third batch rolled back with the process: effects and cursor are those of the two committed batches.
    expect((await effects(consumer.db)).map((row) => row.event_id)).toEqual(feedOrder.slice(0, 20).map((row) => row.id));
    expect(await consumerRow(consumer.db)).toMatchObject({ cursor: feedOrder[19]!.cursor, applied_count: 20 });

    // Second run: it resumes after the twentieth event, commits one batch and dies in the next.
    const second = await runCrashingConsumer(2, 10);
    expect(second.signal, second.stderr).toBe('SIGKILL');
    expect(second.messages.find((message) => 'crashing' in message)?.events).toEqual(feedOrder.slice(30, 40).map((row) => row.id));
    expect(await consumerRow(consumer.db)).toMatchObject({ cursor: feedOrder[29]!.cursor, applied_count: 30 });

    // A consumer that stays up applies the rest.
    running.push(consume(consumer, { feed: feed.source(), batchSize: 10 }));
    await caughtUp(producer, consumer);
    const applied = await effects(consumer.db);
    expect(applied).toHaveLength(60);
    expect(applied.map((row) => row.event_id)).toEqual(feedOrder.map((row) => row.id));
    expect(await consumerRow(consumer.db)).toMatchObject({ applied_count: 60, parked_count: 0 });
    const inbox = await consumer.db.selectFrom('consumed_events').select('event_id').execute();
    expect(inbox).toHaveLength(60);
  });
});
