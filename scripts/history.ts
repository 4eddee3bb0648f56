/**
 * A generated trip history: N trips spread over a time range, each with the events its silos would have published
 * (hospital: TripRequested and a TripStatusChanged per milestone; ems: TripOffered and a TripResponded per answer),
 * written to the producers' outboxes. The center's facts are then either built by its consumers as they read the
 * feeds (`centerFacts: 'consume'`, the real path, for a few thousand trips) or folded here from the same events
 * with the same fact functions, stored in bulk with their rollups, and the center's cursors moved past the
 * generated events (`'fold'`, for a million trips in minutes instead of hours; events already in the feeds that the
 * center has not applied, the demo network's in fresh databases, are folded with them).
 *
 * Trips use the demo network's hospitals, facilities and agencies, so the demo accounts can read them. The silos'
 * consumers of these feeds (ems offering new trips, the hospital applying progress) are moved past the generated
 * events: the history is over, nobody must act on it now. Run it while the services are stopped.
 */
import { centerSubgraph, CENTER_DEFAULT_PORT } from '@medport/center';
import { loadSubgraphConfig, type Environment } from '@medport/config';
import { label, openDatabase, type DatabaseHandle } from '@medport/database';
import { FEED_START } from '@medport/events';
import { emsSubgraph, EMS_DEFAULT_PORT } from '@medport/ems';
import { hospitalSubgraph, HOSPITAL_DEFAULT_PORT } from '@medport/hospital';
import { exitOnConfigError, runDatabaseCommand, type SubgraphDefinition } from '@medport/server';
import {
  demo,
  enumValues,
  CancellationPartyEnum,
  CancellationReasonEnum,
  type EventContracts,
  type EventType,
  type TransportLevel,
  type TransportPriority,
  type TransportStatus,
} from '@medport/domain';
import { sql, type Kysely } from 'kysely';
import { hasTripFacts } from '../subgraphs/center/src/modules/analytics/analytics.repository.js';
import type { TripFactRow, TripFactUpdate } from '../subgraphs/center/src/modules/analytics/analytics.table.js';
import { rebuildRollupsFromFacts } from '../subgraphs/center/src/modules/analytics/rollup-rebuild.js';
import { factChangeOf, type FactEventType } from '../subgraphs/center/src/modules/analytics/trip-facts.js';

export interface HistoryOptions {
  trips: number;
  from: Date;
  to: Date;
  /** The same seed gives the same history. */
  seed?: number;
  centerFacts: 'fold' | 'consume';
  /** Called after each chunk of trips is stored. */
  onProgress?: (stored: number, total: number) => void;
  /** Called when a step without a count of its own begins. */
  onStep?: (step: string) => void;
}

export interface SiloDatabases {
  hospital: Kysely<any>;
  ems: Kysely<any>;
  center: Kysely<any>;
}

interface GeneratedEvent {
  type: EventType;
  tripId: string;
  payload: EventContracts[EventType];
  occurredAt: Date;
}

/** A small fast PRNG (mulberry32): a seeded history is reproducible. */
function randomSource(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const between = (min: number, max: number) => min + next() * (max - min);
  return {
    next,
    between,
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!,
    /** Picks by weight: `[[item, weight], …]`. */
    weighted: <T>(choices: readonly [T, number][]) => {
      let left = next() * choices.reduce((sum, [, weight]) => sum + weight, 0);
      for (const [item, weight] of choices) if ((left -= weight) < 0) return item;
      return choices[choices.length - 1]![0];
    },
    /** Minutes with a long right tail, as real durations have: a median `median`, rarely many times longer. */
    minutes: (median: number) => median * Math.exp(0.6 * Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next())),
    uuid: () => {
      const hex = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16)).join('');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    },
  };
}

type Random = ReturnType<typeof randomSource>;

const LEVELS: [TransportLevel, number][] = [['BLS', 50], ['ALS', 30], ['CCT', 10], ['WHEELCHAIR_VAN', 10]];
const PRIORITIES: [TransportPriority, number][] = [['ROUTINE', 60], ['URGENT', 30], ['EMERGENT', 10]];
const REASONS = enumValues(CancellationReasonEnum);
const PARTIES = enumValues(CancellationPartyEnum);
const LIFECYCLE: TransportStatus[] = ['ACCEPTED', 'ASSIGNED', 'EN_ROUTE', 'AT_PICKUP', 'TRANSPORTING', 'AT_DESTINATION', 'COMPLETED'];
/** Median minutes from the previous milestone to each of LIFECYCLE. */
const MEDIAN_MINUTES: Record<string, number> = { ACCEPTED: 8, ASSIGNED: 4, EN_ROUTE: 3, AT_PICKUP: 25, TRANSPORTING: 15, AT_DESTINATION: 35, COMPLETED: 10 };

/** One trip and its events, in the order they happened. */
function generateTrip(random: Random, network: ReturnType<typeof demo.buildDemoNetwork>, requestedAt: Date): GeneratedEvent[] {
  const tripId = random.uuid();
  const hospital = random.pick(network.hospitals);
  const facilities = network.facilities.filter((facility) => facility.hospitalId === hospital.id);
  const origin = random.pick(facilities.length > 0 ? facilities : network.facilities);
  const destination = random.pick(network.facilities);
  const level = random.weighted(LEVELS);
  const priority = random.weighted(PRIORITIES);
  const capable = network.agencies.filter((agency) => agency.levels.includes(level));
  const offered = [...capable].sort(() => random.next() - 0.5).slice(0, 1 + Math.floor(random.next() * 4));
  const at = (minutes: number) => new Date(requestedAt.getTime() + minutes * 60_000);
  const scheduledPickupAt = random.next() < 0.5 ? at(Math.round(random.between(60, 240))) : null;
  const events: GeneratedEvent[] = [];
  const happened = <T extends EventType>(type: T, payload: EventContracts[T], occurredAt: Date) => events.push({ type, tripId, payload, occurredAt });
  happened(
    'TripRequested',
    {
      tripId,
      hospitalId: hospital.id,
      originFacilityId: origin.id,
      destinationFacilityId: destination.id,
      origin: { latitude: origin.latitude, longitude: origin.longitude },
      transportLevel: level,
      priority,
      specialRequirements: [],
      requestedAt: requestedAt.toISOString(),
      scheduledPickupAt: scheduledPickupAt?.toISOString() ?? null,
      responseDeadline: at(60).toISOString(),
      preferredAgencyIds: [],
      createdById: null,
    },
    requestedAt,
  );
  if (offered.length === 0) return events;
  const offeredAt = at(0.1);
  happened('TripOffered', { tripId, hospitalId: hospital.id, agencyIds: offered.map((agency) => agency.id), offeredAt: offeredAt.toISOString() }, offeredAt);

  const statusChanged = (status: TransportStatus, previousStatus: TransportStatus, occurredAt: Date, agencyId: string | null, cancelled = false) =>
    happened(
      'TripStatusChanged',
      {
        tripId,
        hospitalId: hospital.id,
        status,
        previousStatus,
        occurredAt: occurredAt.toISOString(),
        agencyId,
        unitId: null,
        cancellation: cancelled ? { reason: random.pick(REASONS), party: random.pick(PARTIES) } : null,
      },
      occurredAt,
    );
  const respond = (agencyId: string, decision: 'ACCEPTED' | 'DECLINED', respondedAt: Date) =>
    happened(
      'TripResponded',
      { tripId, agencyId, decision, etaMinutes: decision === 'ACCEPTED' ? 20 : null, declineReason: decision === 'DECLINED' ? 'No unit free' : null, respondedAt: respondedAt.toISOString() },
      respondedAt,
    );

  const outcome = random.weighted([['accepted', 87], ['expired', 5], ['cancelled early', 8]] as const);
  const winner = outcome === 'accepted' ? random.pick(offered) : null;
  let minutes = 0;
  for (const agency of offered) if (agency !== winner && random.next() < 0.4) respond(agency.id, 'DECLINED', at(random.between(1, 50)));
  if (outcome === 'expired') {
    statusChanged('EXPIRED', 'REQUESTED', at(60), null);
    return events;
  }
  if (outcome === 'cancelled early') {
    statusChanged('CANCELLED', 'REQUESTED', at(random.between(1, 55)), null, true);
    return events;
  }
  // A few accepted trips are cancelled before the patient is on board; the rest are completed.
  const cancelBefore = random.next() < 0.04 ? random.pick(['ASSIGNED', 'EN_ROUTE', 'AT_PICKUP'] as const) : null;
  let previous: TransportStatus = 'REQUESTED';
  for (const status of LIFECYCLE) {
    minutes += Math.min(status === 'ACCEPTED' ? 59 : 600, Math.max(0.2, random.minutes(MEDIAN_MINUTES[status]!)));
    if (status === cancelBefore) {
      statusChanged('CANCELLED', previous, at(minutes), winner!.id, true);
      return events;
    }
    if (status === 'ACCEPTED') respond(winner!.id, 'ACCEPTED', at(minutes));
    statusChanged(status, previous, at(minutes), winner!.id);
    previous = status;
  }
  return events;
}

const EMS_EVENTS: ReadonlySet<EventType> = new Set(['TripOffered', 'TripResponded']);

/** Writes events to an outbox in one statement: one JSON document of rows, so both drivers take it as it is. */
async function writeOutbox(db: Kysely<any>, events: GeneratedEvent[]) {
  if (events.length === 0) return;
  const rows = events.map((event) => ({ id: crypto.randomUUID(), type: event.type, aggregate_id: event.tripId, payload: event.payload, occurred_at: event.occurredAt }));
  await sql`
    insert into outbox_events (id, type, aggregate_id, payload, occurred_at)
    select id, type, aggregate_id, payload, occurred_at
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(id uuid, type text, aggregate_id text, payload jsonb, occurred_at timestamptz)
    ${label('generateHistory.writeOutbox')}`.execute(db);
}

/** A fact with nothing known yet, as the center's first event of a trip creates it. */
function emptyFact(tripId: string): TripFactRow {
  return {
    trip_id: tripId,
    hospital_id: null,
    agency_id: null,
    transport_level: null,
    priority: null,
    status: 'REQUESTED',
    requested_at: null,
    accepted_at: null,
    assigned_at: null,
    en_route_at: null,
    at_pickup_at: null,
    picked_up_at: null,
    at_destination_at: null,
    completed_at: null,
    cancelled_at: null,
    expired_at: null,
    scheduled_pickup_at: null,
    cancellation_reason: null,
    cancellation_party: null,
    plan_version: 0,
    response_count: 0,
    decline_count: 0,
    offered_count: 0,
    offered_at: null,
    offered_agency_ids: [],
    agency_responses: {},
    updated_at: new Date(0),
  };
}

/** Applies a fact function's changes as the database would store them (JSON columns arrive as text). */
function applyChanges(fact: TripFactRow, changes: TripFactUpdate): TripFactRow {
  const next = { ...fact, ...changes } as TripFactRow;
  for (const column of ['offered_agency_ids', 'agency_responses'] as const) {
    const value = changes[column];
    if (typeof value === 'string') next[column] = JSON.parse(value);
  }
  return next;
}

/** The center's fact of a trip, from its events, with the functions the center's consumers apply. */
function foldFact(events: GeneratedEvent[]): TripFactRow {
  let fact = emptyFact(events[0]!.tripId);
  for (const event of events) {
    const changes = factChangeOf(fact, event.type as FactEventType, event.payload as never);
    fact = applyChanges(fact, changes);
  }
  fact.updated_at = events[events.length - 1]!.occurredAt;
  return fact;
}

/** Stores facts in one statement, their columns read by name with the table's own types. */
async function writeFacts(db: Kysely<any>, facts: TripFactRow[]) {
  await sql`
    insert into trip_facts select * from json_populate_recordset(null::trip_facts, ${JSON.stringify(facts)}::json)
    ${label('generateHistory.writeFacts')}`.execute(db);
}

/** The cursor of the last event in a silo's outbox, or null for an empty one. */
async function lastCursor(producerDb: Kysely<any>): Promise<string | null> {
  const last = await sql<{ cursor: string }>`
    select transaction_id::text || ':' || position::text as cursor from outbox_events order by transaction_id desc, position desc limit 1
    ${label('generateHistory.lastEvent')}`.execute(producerDb);
  return last.rows[0]?.cursor ?? null;
}

/** Moves a consumer's cursor to the end of its producer's outbox, creating its row if it never ran. */
async function skipToEnd(consumerDb: Kysely<any>, producerDb: Kysely<any>, name: string, source: string) {
  const cursor = await lastCursor(producerDb);
  if (!cursor) return;
  await sql`
    insert into event_consumers (name, source, cursor) values (${name}, ${source}, ${cursor})
    on conflict (name) do update set cursor = excluded.cursor, updated_at = now()
    ${label('generateHistory.skipToEnd')}`.execute(consumerDb);
}

const CENTER_FEEDS = [
  { consumer: 'center.from-hospital', source: 'hospital', types: ['TripRequested', 'TripPlanChanged', 'TripStatusChanged'] },
  { consumer: 'center.from-ems', source: 'ems', types: ['TripOffered', 'TripResponded'] },
] as const;

/**
 * The events already in the feeds that the center has not applied (the demo network's, in fresh databases): folded
 * with the generated ones, since the center's cursors are then moved past them. A center that applied part of a
 * feed but not all of it would lose the rest: that is refused.
 */
async function eventsTheCenterLacks(databases: SiloDatabases): Promise<GeneratedEvent[][]> {
  const events: GeneratedEvent[] = [];
  const hasFacts = await hasTripFacts(databases.center);
  for (const feed of CENTER_FEEDS) {
    const producer = databases[feed.source];
    const end = await lastCursor(producer);
    const stored = await sql<{ cursor: string }>`select cursor from event_consumers where name = ${feed.consumer} ${label('generateHistory.centerCursor')}`.execute(databases.center);
    const cursor = stored.rows[0]?.cursor ?? FEED_START;
    if (end === null || cursor === end) continue;
    if (cursor !== FEED_START || hasFacts) {
      throw new Error(`The center has applied part of the ${feed.source} feed only: let it catch up (start MedPort once) before generating, or use --consume.`);
    }
    const rows = await sql<{ type: EventType; payload: { tripId: string }; occurred_at: Date }>`
      select type, payload, occurred_at from outbox_events where type in (${sql.join([...feed.types])}) order by transaction_id, position
      ${label('generateHistory.readFeed')}`.execute(producer);
    // One at a time: a grown demo's feed holds more events than a spread's arguments may.
    for (const row of rows.rows) events.push({ type: row.type, tripId: row.payload.tripId, payload: row.payload as never, occurredAt: new Date(row.occurred_at) });
  }
  return eventsByTrip(events);
}

function eventsByTrip(events: readonly GeneratedEvent[]): GeneratedEvent[][] {
  const byTrip = new Map<string, GeneratedEvent[]>();
  for (const event of events) {
    const trip = byTrip.get(event.tripId);
    if (trip) trip.push(event);
    else byTrip.set(event.tripId, [event]);
  }
  return [...byTrip.values()];
}

/** The center's facts of the trips these events tell about, folded as `'fold'` does (in the order given, per trip). */
export function foldTripFacts(events: readonly { type: EventType; payload: { tripId: string }; occurredAt: Date }[]): TripFactRow[] {
  return eventsByTrip(events.map((event) => ({ ...event, tripId: event.payload.tripId, payload: event.payload as never }))).map(foldFact);
}

const CHUNK = 5_000;

/** Generates the history into the silos' databases (migrated, with the demo network seeded). */
export async function generateHistory(databases: SiloDatabases, options: HistoryOptions): Promise<{ trips: number; events: number }> {
  const random = randomSource(options.seed ?? 1);
  const network = demo.buildDemoNetwork();
  const span = options.to.getTime() - options.from.getTime();
  // Trips in request order, so each silo's outbox reads like the days went by.
  const requestTimes = Float64Array.from({ length: options.trips }, () => options.from.getTime() + random.next() * span).sort();
  // Read before anything is written: afterwards the feeds also hold the generated events.
  const lacking = options.centerFacts === 'fold' ? await eventsTheCenterLacks(databases) : [];
  let events = 0;
  for (let start = 0; start < options.trips; start += CHUNK) {
    const trips = Array.from(requestTimes.subarray(start, start + CHUNK), (time) => generateTrip(random, network, new Date(time)));
    const all = trips.flat();
    events += all.length;
    await writeOutbox(databases.hospital, all.filter((event) => !EMS_EVENTS.has(event.type)));
    await writeOutbox(databases.ems, all.filter((event) => EMS_EVENTS.has(event.type)));
    if (options.centerFacts === 'fold') await writeFacts(databases.center, trips.map(foldFact));
    options.onProgress?.(Math.min(options.trips, start + CHUNK), options.trips);
  }
  await skipToEnd(databases.ems, databases.hospital, 'ems.from-hospital', 'hospital');
  await skipToEnd(databases.hospital, databases.ems, 'hospital.from-ems', 'ems');
  if (options.centerFacts === 'fold') {
    for (let start = 0; start < lacking.length; start += CHUNK) await writeFacts(databases.center, lacking.slice(start, start + CHUNK).map(foldFact));
    options.onStep?.('summing the KPIs of every fact');
    await rebuildRollupsFromFacts(databases.center);
    await skipToEnd(databases.center, databases.hospital, 'center.from-hospital', 'hospital');
    await skipToEnd(databases.center, databases.ems, 'center.from-ems', 'ems');
  }
  return { trips: options.trips, events };
}

/**
 * The three silos' databases named by `env` (HOSPITAL_DATABASE_URL, …, or embedded under MEDPORT_DATA_DIR),
 * migrated and seeded with the demo network when empty, open for `generateHistory`.
 */
export async function openSilos(env: Environment): Promise<{ databases: SiloDatabases; close(): Promise<void> }> {
  const silos: [SubgraphDefinition<any, any>, number][] = [
    [hospitalSubgraph, HOSPITAL_DEFAULT_PORT],
    [emsSubgraph, EMS_DEFAULT_PORT],
    [centerSubgraph, CENTER_DEFAULT_PORT],
  ];
  const handles: DatabaseHandle<any>[] = [];
  for (const [definition, port] of silos) {
    let config;
    try {
      config = loadSubgraphConfig(definition.silo, port, env);
    } catch (error) {
      exitOnConfigError(error);
    }
    await runDatabaseCommand(definition, config, 'seed');
    handles.push(openDatabase<any>({ name: definition.silo, url: config.databaseUrl, dataDir: config.dataDir }));
  }
  const [hospital, ems, center] = handles;
  return {
    databases: { hospital: hospital!.db, ems: ems!.db, center: center!.db },
    close: async () => {
      await Promise.all(handles.map((handle) => handle.close()));
    },
  };
}
