import type { EventContracts, EventType } from '@medport/domain';

/**
 * An event as a feed delivers it. `cursor` is its place in the producer's feed; a consumer stores it with its
 * effects and asks for the events after it next time.
 */
export interface FeedEvent {
  id: string;
  type: string;
  aggregateId: string;
  occurredAt: string;
  payload: unknown;
  cursor: string;
}

/** A feed event whose type is one of MedPort's contracts. */
export interface TypedEvent<T extends EventType> extends FeedEvent {
  type: T;
  payload: EventContracts[T];
}

/** Where a new consumer starts: before the first event ever written. */
export const FEED_START = '0:0';

const CURSOR = /^(\d{1,20}):(\d{1,20})$/;
const MAX_TRANSACTION_ID = 2n ** 64n - 1n; // xid8
const MAX_POSITION = 2n ** 63n - 1n; // bigint

/**
 * A cursor is `<transaction id>:<position>` of the last event seen; anything else is refused, including digits
 * beyond the columns' ranges, which the database would reject (a 500) or wrap instead of answering 400.
 */
export function parseCursor(cursor: string): { transactionId: string; position: string } | null {
  const match = CURSOR.exec(cursor);
  if (!match || BigInt(match[1]!) > MAX_TRANSACTION_ID || BigInt(match[2]!) > MAX_POSITION) return null;
  return { transactionId: match[1]!, position: match[2]! };
}
