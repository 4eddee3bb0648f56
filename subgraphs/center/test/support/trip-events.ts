import { randomUUID } from 'node:crypto';
import {
  stableId,
  type CancellationParty,
  type CancellationReason,
  type EventContracts,
  type EventType,
  type TransportLevel,
  type TransportPriority,
  type TransportStatus,
} from '@medport/domain';
import { compareCursors, FEED_START, startConsumer, type ConsumerDefinition, type FeedSource, type TypedEvent } from '@medport/events';
import type { Kysely, Transaction } from 'kysely';
import type { CenterDatabase } from '../../src/index.js';
import { centerConsumers } from '../../src/events.js';

/**
 * The other silos' events about trips, as their feeds deliver them to the center, and ways to run the center's real
 * consumer handlers on them: the tests of trip facts and of the analytics built on them share these.
 */

function consumer(name: string): ConsumerDefinition<CenterDatabase> {
  const definition = centerConsumers.find((candidate) => candidate.name === name);
  if (!definition) throw new Error(`No consumer ${name}`);
  return definition;
}
export const fromHospital = consumer('center.from-hospital');
export const fromEms = consumer('center.from-ems');

/** The events about one trip, whose aggregate is the trip. */
export type TripEventType = { [T in EventType]: EventContracts[T] extends { tripId: string } ? T : never }[EventType];
export type TripEvent = TypedEvent<TripEventType>;

let position = 0;
/** The next place in a feed: every event built here comes after every one built before. */
const nextCursor = () => `1:${(position += 1)}`;

/** An event as a feed delivers it: a fresh id, and the next place in a feed. */
export function feedEvent<T extends TripEventType>(type: T, payload: EventContracts[T]): TypedEvent<T> {
  return { id: randomUUID(), type, aggregateId: payload.tripId, occurredAt: new Date().toISOString(), payload, cursor: nextCursor() };
}

/** The same events delivered again, as an at-least-once feed may: the same ids at later places in the feed. */
export const redelivered = <E extends TripEvent>(events: readonly E[]): E[] => events.map((event) => ({ ...event, cursor: nextCursor() }));

/** The same events sent again under new ids, as a producer that repeats itself would. */
export const repeated = <E extends TripEvent>(events: readonly E[]): E[] => events.map((event) => ({ ...event, id: randomUUID(), cursor: nextCursor() }));

/**
 * Runs a consumer's real handler for each event, all in one real transaction, as the consumer does for a batch. The
 * consumer's inbox is left out: an event delivered twice is applied twice.
 */
export async function deliverEvents(db: Kysely<CenterDatabase>, definition: ConsumerDefinition<CenterDatabase>, ...events: TypedEvent<EventType>[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const event of events) {
      const handler = definition.handlers[event.type] as ((trx: Transaction<CenterDatabase>, event: TypedEvent<EventType>) => Promise<void>) | undefined;
      if (!handler) throw new Error(`${definition.name} has no handler for ${event.type}`);
      await handler(trx, event);
    }
    await definition.afterBatch?.(trx);
  });
}

const silent = { info: () => {}, warn: () => {}, error: () => {} };

/**
 * Runs the real consumer (its inbox, its cursor, its transactions) under `name` over `events`, served by a feed in
 * memory, until it has applied the last of them; then stops it. Run again under the same name, it starts from its
 * stored cursor and its inbox knows every event it applied before.
 */
export async function consumeFeed(db: Kysely<CenterDatabase>, definition: ConsumerDefinition<CenterDatabase>, name: string, events: readonly TripEvent[]): Promise<void> {
  const feed: FeedSource = {
    name: definition.source,
    async read(after, { limit, signal }) {
      const next = events.filter((event) => compareCursors(event.cursor, after) > 0).slice(0, limit);
      // An empty read waits a little, as a real feed holds the request, so the consumer does not spin.
      if (next.length === 0) await new Promise((resolve) => setTimeout(resolve, signal.aborted ? 0 : 20));
      return next;
    },
  };
  const running = startConsumer({ definition: { ...definition, name }, db, feed, ping: async () => {}, logger: silent, waitMs: 20 });
  const last = events.at(-1)?.cursor ?? FEED_START;
  try {
    for (const started = Date.now(); ; ) {
      const row = await db.selectFrom('event_consumers').select(['cursor', 'last_error']).where('name', '=', name).executeTakeFirst();
      if (row && compareCursors(row.cursor, last) >= 0) return;
      if (Date.now() - started > 15_000) throw new Error(`${name} did not reach ${last} within 15 s (at ${row?.cursor}, last error ${row?.last_error})`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await running.stop();
  }
}

const MINUTE = 60_000;

export interface TripDefaults {
  hospitalId: string;
  /** The agency the trip's statuses name once it is accepted; null for trips no agency takes. */
  agencyId: string | null;
  requestedAt: Date;
}

const PREVIOUS: Partial<Record<TransportStatus, TransportStatus>> = {
  ACCEPTED: 'REQUESTED',
  ASSIGNED: 'ACCEPTED',
  EN_ROUTE: 'ASSIGNED',
  AT_PICKUP: 'EN_ROUTE',
  TRANSPORTING: 'AT_PICKUP',
  AT_DESTINATION: 'TRANSPORTING',
  COMPLETED: 'AT_DESTINATION',
};

/**
 * Builders of the events of trips that share a hospital, an accepting agency and a request time; each takes
 * overrides of its payload. `at(minutes)` is that many minutes after the request.
 */
export function tripEventBuilders({ hospitalId, agencyId, requestedAt }: TripDefaults) {
  const at = (minutes: number) => new Date(requestedAt.getTime() + minutes * MINUTE);

  const tripRequested = (tripId: string, overrides: Partial<EventContracts['TripRequested']> = {}) =>
    feedEvent('TripRequested', {
      tripId,
      hospitalId,
      originFacilityId: stableId('facility-1'),
      destinationFacilityId: stableId('facility-2'),
      origin: { latitude: 37.77, longitude: -122.42 },
      transportLevel: 'ALS',
      priority: 'ROUTINE',
      specialRequirements: ['OXYGEN'],
      requestedAt: requestedAt.toISOString(),
      scheduledPickupAt: at(120).toISOString(),
      responseDeadline: at(60).toISOString(),
      preferredAgencyIds: agencyId ? [agencyId] : [],
      createdById: null,
      ...overrides,
    });

  const statusChanged = (tripId: string, status: TransportStatus, occurredAt: Date, overrides: Partial<EventContracts['TripStatusChanged']> = {}) =>
    feedEvent('TripStatusChanged', {
      tripId,
      hospitalId,
      status,
      previousStatus: PREVIOUS[status] ?? 'REQUESTED',
      occurredAt: occurredAt.toISOString(),
      agencyId: status === 'REQUESTED' || status === 'EXPIRED' ? null : agencyId,
      unitId: null,
      cancellation: null,
      ...overrides,
    });

  const planChanged = (tripId: string, version: number, plan: Pick<EventContracts['TripPlanChanged'], 'transportLevel' | 'priority' | 'scheduledPickupAt'>) =>
    feedEvent('TripPlanChanged', { tripId, hospitalId, version, destinationFacilityId: stableId('facility-2'), specialRequirements: [], ...plan });

  const tripOffered = (tripId: string, agencyIds: string[], offeredAt: Date) =>
    feedEvent('TripOffered', { tripId, hospitalId, agencyIds, offeredAt: offeredAt.toISOString() });

  const tripResponded = (tripId: string, agency: string, decision: 'ACCEPTED' | 'DECLINED', respondedAt: Date) =>
    feedEvent('TripResponded', {
      tripId,
      agencyId: agency,
      decision,
      etaMinutes: decision === 'ACCEPTED' ? 20 : null,
      declineReason: decision === 'DECLINED' ? 'No unit available' : null,
      respondedAt: respondedAt.toISOString(),
    });

  return { at, tripRequested, statusChanged, planChanged, tripOffered, tripResponded };
}

/** A whole trip as the hospital and the ems silo tell it, times in minutes after its request. */
export interface TripStory {
  hospitalId: string;
  requestedAt: Date;
  transportLevel: TransportLevel;
  priority: TransportPriority;
  /** Null for a trip without a scheduled pickup. */
  scheduledPickup: number | null;
  /** The agencies the trip was offered to, a minute after its request; left out for a trip never offered. */
  offeredTo?: string[];
  responses?: [agencyId: string, decision: 'ACCEPTED' | 'DECLINED', minute: number][];
  /** The agency that took the trip, which its statuses from ACCEPTED on name; null when none did. */
  agencyId: string | null;
  /** The statuses it reached after REQUESTED, in order. */
  statuses: [TransportStatus, number][];
  /** Why and by whom it was cancelled, for a trip that reached CANCELLED. */
  cancellation?: { reason: CancellationReason; party: CancellationParty };
}

/** The events a trip's story makes, each feed's in the order it happened. */
export function storyEvents(tripId: string, story: TripStory): { hospital: TripEvent[]; ems: TripEvent[] } {
  const { at, tripRequested, statusChanged, tripOffered, tripResponded } = tripEventBuilders({
    hospitalId: story.hospitalId,
    agencyId: story.agencyId,
    requestedAt: story.requestedAt,
  });
  const hospital: TripEvent[] = [
    tripRequested(tripId, {
      transportLevel: story.transportLevel,
      priority: story.priority,
      scheduledPickupAt: story.scheduledPickup === null ? null : at(story.scheduledPickup).toISOString(),
      preferredAgencyIds: story.offeredTo ?? [],
    }),
  ];
  let previous: TransportStatus = 'REQUESTED';
  for (const [status, minute] of story.statuses) {
    hospital.push(
      statusChanged(tripId, status, at(minute), {
        previousStatus: previous,
        agencyId: status === 'EXPIRED' ? null : story.agencyId,
        cancellation: status === 'CANCELLED' ? (story.cancellation ?? null) : null,
      }),
    );
    previous = status;
  }
  const ems: TripEvent[] = [];
  if (story.offeredTo) ems.push(tripOffered(tripId, story.offeredTo, at(1)));
  for (const [agency, decision, minute] of story.responses ?? []) ems.push(tripResponded(tripId, agency, decision, at(minute)));
  return { hospital, ems };
}
