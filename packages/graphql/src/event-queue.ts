/** Thrown to a subscription's reader when it fell too far behind and was ended. */
export class QueueOverflow extends Error {
  constructor(readonly limit: number) {
    super(`The subscriber fell more than ${limit} events behind.`);
    this.name = 'QueueOverflow';
  }
}

/**
 * The events of one subscription, waiting for its reader. Written by hand rather than as an async generator: a
 * generator cannot be ended while it awaits its next value, so an unsubscribe would wait for the next event, while
 * `return()` here ends the subscription at once. The queue is bounded: a reader that falls `limit` events behind
 * (a phone on a slow network) is ended with `QueueOverflow` instead of making the process buffer without bound.
 */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  private readonly buffered: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | null = null;
  private failWaiting: ((error: unknown) => void) | null = null;
  private finished = false;
  private failure: unknown = null;

  /**
   * `onClose` runs once, however the queue ends (reader's return, `end`, `fail` or overflow). With `onOverflow`, a
   * queue past its limit calls it and ends quietly instead of failing its reader.
   */
  constructor(
    private readonly limit: number,
    private readonly onClose: () => void = () => {},
    private readonly onOverflow?: () => void,
  ) {}

  get closed(): boolean {
    return this.finished;
  }

  /** Hands an event to the reader, or buffers it; ends the queue with `QueueOverflow` past the limit. */
  push(value: T): void {
    if (this.finished) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.clearWaiting();
      resolve({ value, done: false });
      return;
    }
    if (this.buffered.length >= this.limit) {
      if (!this.onOverflow) return this.fail(new QueueOverflow(this.limit));
      this.buffered.length = 0;
      this.end();
      return this.onOverflow();
    }
    this.buffered.push(value);
  }

  /** Ends the queue after the events already buffered. */
  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.onClose();
    if (this.waiting) {
      const resolve = this.waiting;
      this.clearWaiting();
      resolve({ value: undefined, done: true });
    }
  }

  /** Ends the queue with an error, dropping what it buffered; the reader gets the error next. */
  fail(error: unknown): void {
    if (this.finished) return;
    this.buffered.length = 0;
    const reject = this.failWaiting;
    this.clearWaiting();
    if (reject) reject(error);
    else this.failure = error;
    this.end();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffered.length > 0) return Promise.resolve({ value: this.buffered.shift()!, done: false });
    if (this.failure !== null) {
      const error = this.failure;
      this.failure = null;
      return Promise.reject(error);
    }
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failWaiting = reject;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.buffered.length = 0;
    this.failure = null;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<T>> {
    this.fail(error);
    return this.next();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private clearWaiting() {
    this.waiting = null;
    this.failWaiting = null;
  }
}
