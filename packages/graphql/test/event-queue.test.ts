import { describe, expect, it } from 'vitest';
import { EventQueue, QueueOverflow } from '../src/event-queue.js';

/** Whether `promise` has settled once the microtasks queued so far (and a macrotask turn) have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise<void>((resolve) => setImmediate(resolve));
  return done;
}

describe('EventQueue', () => {
  it('delivers pushed values in order, whether the reader waits for them or they were buffered', async () => {
    const queue = new EventQueue<number>(10);
    const waiting = queue.next();
    queue.push(1);
    queue.push(2);
    queue.push(3);
    expect(await waiting).toEqual({ value: 1, done: false });
    expect(await queue.next()).toEqual({ value: 2, done: false });
    expect(await queue.next()).toEqual({ value: 3, done: false });
    queue.push(4);
    expect(await queue.next()).toEqual({ value: 4, done: false });
    expect(queue.closed).toBe(false);
  });

  it('delivers what it buffered before end() completes the reader, and calls onClose once', async () => {
    let closes = 0;
    const queue = new EventQueue<string>(10, () => closes++);
    queue.push('a');
    queue.push('b');
    queue.end();
    expect(queue.closed).toBe(true);
    expect(closes).toBe(1);
    const seen: string[] = [];
    for await (const value of queue) seen.push(value);
    expect(seen).toEqual(['a', 'b']);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
    queue.end();
    expect(closes).toBe(1);
  });

  it('end() resolves a pending next() with done', async () => {
    const queue = new EventQueue<number>(10);
    const pending = queue.next();
    queue.end();
    expect(await pending).toEqual({ value: undefined, done: true });
  });

  it('return() resolves a pending next() with done at once (no further push needed) and calls onClose once', async () => {
    let closes = 0;
    const queue = new EventQueue<number>(10, () => closes++);
    const pending = queue.next();
    expect(await settled(pending)).toBe(false);
    const returned = await queue.return();
    expect(returned).toEqual({ value: undefined, done: true });
    // Settled without any event having been pushed: the reader is not stuck until the next event.
    expect(await settled(pending)).toBe(true);
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(closes).toBe(1);
    expect(queue.closed).toBe(true);
    await queue.return();
    queue.end();
    queue.fail(new Error('late'));
    expect(closes).toBe(1);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });

  it('return() drops what was buffered', async () => {
    const queue = new EventQueue<number>(10);
    queue.push(1);
    queue.push(2);
    await queue.return();
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });

  it('a reader leaving with break (for await) closes the queue', async () => {
    let closes = 0;
    const queue = new EventQueue<number>(10, () => closes++);
    queue.push(1);
    for await (const value of queue) {
      expect(value).toBe(1);
      break;
    }
    expect(queue.closed).toBe(true);
    expect(closes).toBe(1);
  });

  it('fail(e) rejects a pending next() with e, then the queue is done, and onClose runs once', async () => {
    let closes = 0;
    const queue = new EventQueue<number>(10, () => closes++);
    const pending = queue.next();
    const error = new Error('upstream lost');
    queue.fail(error);
    await expect(pending).rejects.toBe(error);
    expect(closes).toBe(1);
    expect(queue.closed).toBe(true);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });

  it('fail(e) with no reader waiting drops the buffer and hands e to the next read', async () => {
    const queue = new EventQueue<number>(10);
    queue.push(1);
    const error = new Error('boom');
    queue.fail(error);
    await expect(queue.next()).rejects.toBe(error);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });

  it('past its limit without onOverflow, ends with QueueOverflow for the reader, dropping the buffer', async () => {
    let closes = 0;
    const queue = new EventQueue<number>(2, () => closes++);
    queue.push(1);
    queue.push(2);
    expect(queue.closed).toBe(false);
    queue.push(3);
    expect(queue.closed).toBe(true);
    expect(closes).toBe(1);
    const error = await queue.next().then(
      () => null,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(QueueOverflow);
    expect((error as QueueOverflow).limit).toBe(2);
    expect((error as QueueOverflow).name).toBe('QueueOverflow');
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });

  it('past its limit with onOverflow, calls it once, closes, and the reader gets done (no error)', async () => {
    let closes = 0;
    let overflows = 0;
    const queue = new EventQueue<number>(
      2,
      () => closes++,
      () => overflows++,
    );
    queue.push(1);
    queue.push(2);
    queue.push(3);
    queue.push(4);
    expect(overflows).toBe(1);
    expect(closes).toBe(1);
    expect(queue.closed).toBe(true);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
    expect(overflows).toBe(1);
  });

  it('ignores pushes after it closed, however it closed', async () => {
    const ended = new EventQueue<number>(10);
    ended.push(1);
    ended.end();
    ended.push(2);
    expect(await ended.next()).toEqual({ value: 1, done: false });
    expect(await ended.next()).toEqual({ value: undefined, done: true });

    const returned = new EventQueue<number>(10);
    await returned.return();
    returned.push(1);
    expect(await returned.next()).toEqual({ value: undefined, done: true });

    const failed = new EventQueue<number>(10);
    const error = new Error('failed');
    failed.fail(error);
    failed.push(1);
    await expect(failed.next()).rejects.toBe(error);
    expect(await failed.next()).toEqual({ value: undefined, done: true });

    let overflows = 0;
    const overflowed = new EventQueue<number>(1, undefined, () => overflows++);
    overflowed.push(1);
    overflowed.push(2);
    overflowed.push(3);
    expect(overflows).toBe(1);
    expect(await overflowed.next()).toEqual({ value: undefined, done: true });
  });
});
