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

/** A cursor is `<transaction id>:<position>` of the last event seen; anything else is refused. */
export function parseCursor(cursor: string): { transactionId: string; position: string } | null {
  const match = CURSOR.exec(cursor);
  return match ? { transactionId: match[1]!, position: match[2]! } : null;
}
