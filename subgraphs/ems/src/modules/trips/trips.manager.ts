import { auditedChange } from '@medport/audit';
import { requireRole, sameId, type Viewer } from '@medport/auth';
import { canTransition, rolesOfTenant, type ResponseDecision, type TransportLevel, type TransportStatus, type UserRole } from '@medport/domain';
import { publishEvent } from '@medport/events';
import {
  badInput,
  conflict,
  hiddenRecord,
  isId,
  notFound,
  optionalText,
  parsePage,
  requireText,
  toConnection,
  type Connection,
  type PageArgs,
} from '@medport/graphql';
import type { Transaction } from 'kysely';
import type { EmsContext } from '../../context.js';
import type { EmsDatabase } from '../../database.js';
import { findAgenciesByIds } from '../agencies/agencies.repository.js';
import { lockUnit, updateUnit } from '../units/units.repository.js';
import { reportProgress, unitFollowsTrip } from './trips.progress.js';
import { findResponse, listAvailableTrips, lockTrip, updateResponse, updateTrip } from './trips.repository.js';
import { endOffers } from './trips.offers.js';
import type { TripResponseRow, TripRow } from './trips.table.js';

export interface RespondToTripInput {
  decision: ResponseDecision;
  etaMinutes?: number | null;
  declineReason?: string | null;
  bidAmount?: number | null;
  notes?: string | null;
}

/** Every account of an agency sees the offers it holds; a crew decides nothing, but knows what may come. */
export const OFFER_READERS: readonly UserRole[] = rolesOfTenant('EMS');
/** Who commits an agency to a trip and sends a unit: its dispatchers and administrators. */
const DISPATCHERS: readonly UserRole[] = ['EMS_DISPATCHER', 'EMS_ADMIN'];
/** Who reports where a trip is: the crew on it, and the dispatch desk that hears from them. */
const PROGRESS_REPORTERS: readonly UserRole[] = ['EMS_CREW', 'EMS_DISPATCHER', 'EMS_ADMIN'];
/** The statuses a crew reports; the others are reached by accepting, assigning, cancelling or expiring. */
const CREW_STATUSES: readonly TransportStatus[] = ['EN_ROUTE', 'AT_PICKUP', 'TRANSPORTING', 'AT_DESTINATION', 'COMPLETED'];

/** Twelve hours: an interfacility transfer further out than that is a scheduling question, not an ETA. */
export const MAX_ETA_MINUTES = 720;
/** Far beyond any ground transport fare; a larger number is a typo (cents for dollars), not a bid. */
const MAX_BID_AMOUNT = 1_000_000;

/** The trip levels a unit of each level may carry: a higher level of care serves a lower one, a van only its own. */
const SERVES: Record<TransportLevel, readonly TransportLevel[]> = {
  BLS: ['BLS'],
  ALS: ['ALS', 'BLS'],
  CCT: ['CCT', 'ALS', 'BLS'],
  WHEELCHAIR_VAN: ['WHEELCHAIR_VAN'],
};

const TRIP = 'TransportRequest';

const offerCursor = (trip: TripRow) => ({ key: trip.response_deadline.toISOString(), id: trip.id });

/** The trips offered to the caller's agency that it may still accept, soonest deadline first. EMS accounts only. */
export async function availableTripConnection(context: EmsContext, args: PageArgs): Promise<Connection<TripRow>> {
  const viewer = requireRole(context.viewer, OFFER_READERS, 'see the trips offered to an agency');
  const page = parsePage(args);
  const rows = viewer.agencyId ? await listAvailableTrips(context.db, viewer.agencyId, new Date(), page) : [];
  return toConnection(rows, page, offerCursor);
}

/** The caller's own response to a trip (its offer), when the trip was offered to its agency. */
export async function ownResponse(context: EmsContext, tripId: string): Promise<TripResponseRow | null> {
  const agencyId = context.viewer?.agencyId ?? null;
  if (!agencyId) return null;
  const responses = await context.loaders.responsesByTrip.load(tripId);
  return responses.find((response) => sameId(response.agency_id, agencyId)) ?? null;
}

type Answer =
  | { decision: 'ACCEPT'; etaMinutes: number; bidAmount: number | null; notes: string | null }
  | { decision: 'DECLINE'; declineReason: string; notes: string | null };

/** Checks an answer before anything is read or locked; a field that belongs to the other decision is a mistake, not noise. */
function parseAnswer(input: RespondToTripInput): Answer {
  const notes = optionalText(input.notes, 'notes', 2000);
  if (input.decision === 'ACCEPT') {
    const eta = input.etaMinutes;
    if (eta == null) throw badInput('`etaMinutes` is required to accept a trip.', 'etaMinutes');
    if (!Number.isInteger(eta) || eta < 1 || eta > MAX_ETA_MINUTES) {
      throw badInput(`\`etaMinutes\` must be a whole number of minutes from 1 to ${MAX_ETA_MINUTES}.`, 'etaMinutes');
    }
    if (input.declineReason != null) throw badInput('`declineReason` is only for declining a trip.', 'declineReason');
    const bid = input.bidAmount;
    if (bid != null && !(Number.isFinite(bid) && bid >= 0 && bid <= MAX_BID_AMOUNT)) {
      throw badInput(`\`bidAmount\` must be from 0 to ${MAX_BID_AMOUNT} US dollars.`, 'bidAmount');
    }
    return { decision: 'ACCEPT', etaMinutes: eta, bidAmount: bid == null ? null : Math.round(bid * 100) / 100, notes };
  }
  if (input.declineReason == null) throw badInput('`declineReason` is required to decline a trip.', 'declineReason');
  const declineReason = requireText(input.declineReason, 'declineReason', 500);
  if (input.etaMinutes != null) throw badInput('`etaMinutes` is only for accepting a trip.', 'etaMinutes');
  if (input.bidAmount != null) throw badInput('`bidAmount` is only for accepting a trip.', 'bidAmount');
  return { decision: 'DECLINE', declineReason, notes };
}

/**
 * The trip, locked, and the offer of it the caller's agency holds, if any. The caller decides what a missing offer
 * means; for an answer it is NOT_FOUND, exactly like an unknown id: a trip never offered to you does not exist for you.
 */
async function lockTripAndOffer(trx: Transaction<EmsDatabase>, viewer: Viewer, tripId: string) {
  const trip = isId(tripId) ? await lockTrip(trx, tripId) : undefined;
  if (!trip) throw notFound(TRIP, tripId);
  const offer = viewer.agencyId ? await findResponse(trx, trip.id, viewer.agencyId) : undefined;
  return { trip, offer };
}

/**
 * The trip the caller's agency serves, locked. Another agency's trip is a CONFLICT for an agency that competed for
 * it (it knows the trip), and does not exist for any other; a trip nobody serves yet is the caller's to move only
 * if it was offered to its agency, and the state machine then says whether the move is possible.
 */
async function lockServedTrip(trx: Transaction<EmsDatabase>, viewer: Viewer, tripId: string): Promise<TripRow> {
  const { trip, offer } = await lockTripAndOffer(trx, viewer, tripId);
  if (trip.assigned_agency_id && sameId(trip.assigned_agency_id, viewer.agencyId)) return trip;
  if (!offer) throw hiddenRecord(TRIP, tripId);
  if (trip.assigned_agency_id) throw conflict('The trip is served by another agency.');
  return trip;
}

/** A trip someone else ended is a CONFLICT; any other step the state machine refuses is the caller's mistake. */
function requireStep(trip: TripRow, to: TransportStatus, field: string): void {
  if (canTransition(trip.status, to)) return;
  if (trip.status === 'CANCELLED') throw conflict('The trip was cancelled.');
  if (trip.status === 'EXPIRED') throw conflict('The trip expired before an agency accepted it.');
  throw badInput(`A trip that is ${trip.status} cannot become ${to}.`, field);
}

/** Whether an agency may still answer its offer of this trip, as of `now`. */
function requireOpenOffer(trip: TripRow, viewer: Viewer, now: Date): void {
  if (trip.status === 'CANCELLED') throw conflict('The trip was cancelled.');
  if (trip.status === 'EXPIRED' || (trip.status === 'REQUESTED' && trip.response_deadline.getTime() <= now.getTime())) {
    throw conflict('The offer expired: its response deadline has passed.');
  }
  if (!canTransition(trip.status, 'ACCEPTED')) {
    throw conflict(sameId(trip.assigned_agency_id, viewer.agencyId) ? 'Your agency already accepted this trip.' : 'The trip was already accepted by another agency.');
  }
}

/**
 * Whether the agency still provides the level the trip needs. The offer was made for the level of the time; since
 * then the hospital may have changed the trip's level, or the agency the levels it provides, and a trip accepted by
 * an agency that cannot serve it would wait for a unit that never comes. Declining stays possible.
 */
async function requireProvidesLevel(trx: Transaction<EmsDatabase>, agencyId: string, trip: TripRow): Promise<void> {
  const [agency] = await findAgenciesByIds(trx, { kind: 'ALL' }, [agencyId]);
  if (agency?.levels.includes(trip.transport_level)) return;
  throw conflict(`Your agency does not provide ${trip.transport_level} transport, the level this trip needs.`);
}

/**
 * Answers an offer. Accepting decides the race for the trip: the trip's row lock makes concurrent acceptances take
 * turns, and each checks the trip is still REQUESTED once it holds the lock, so exactly one agency wins and the
 * others get CONFLICT with nothing of theirs written. The winner's acceptance withdraws the offers still waiting and
 * tells the hospital, in the same transaction.
 */
export function respondToTrip(context: EmsContext, tripId: string, input: RespondToTripInput): Promise<TripResponseRow> {
  const target = { action: 'RESPOND_TO_TRIP', entityType: TRIP, entityId: tripId, details: { decision: input.decision } };
  return auditedChange(context, target, async (commit) => {
    const viewer = requireRole(context.viewer, DISPATCHERS, 'answer trip offers');
    const answer = parseAnswer(input);
    return commit(async (trx) => {
      const { trip, offer } = await lockTripAndOffer(trx, viewer, tripId);
      if (!offer) throw hiddenRecord(TRIP, tripId);
      const now = new Date();
      requireOpenOffer(trip, viewer, now);
      if (offer.status !== 'PENDING') throw conflict(`Your agency already answered this offer (${offer.status}).`);
      if (answer.decision === 'ACCEPT') await requireProvidesLevel(trx, offer.agency_id, trip);

      if (answer.decision === 'DECLINE') {
        const declined = await updateResponse(trx, offer.id, {
          status: 'DECLINED',
          eta_minutes: null,
          bid_amount: null,
          decline_reason: answer.declineReason,
          notes: answer.notes,
          responded_at: now,
        });
        await publishEvent(trx, 'TripResponded', trip.id, {
          tripId: trip.id,
          agencyId: offer.agency_id,
          decision: 'DECLINED',
          etaMinutes: null,
          declineReason: answer.declineReason,
          respondedAt: now.toISOString(),
        });
        return declined;
      }

      const accepted = await updateResponse(trx, offer.id, {
        status: 'ACCEPTED',
        eta_minutes: answer.etaMinutes,
        bid_amount: answer.bidAmount,
        decline_reason: null,
        notes: answer.notes,
        responded_at: now,
      });
      await updateTrip(trx, trip.id, { status: 'ACCEPTED', assigned_agency_id: offer.agency_id });
      await endOffers(trx, [trip.id], 'TAKEN_BY_ANOTHER_AGENCY', now);
      await publishEvent(trx, 'TripResponded', trip.id, {
        tripId: trip.id,
        agencyId: offer.agency_id,
        decision: 'ACCEPTED',
        etaMinutes: answer.etaMinutes,
        declineReason: null,
        respondedAt: now.toISOString(),
      });
      await reportProgress(trx, trip.id, {
        status: 'ACCEPTED',
        agencyId: offer.agency_id,
        unitId: null,
        reportedById: viewer.userId,
        notes: null,
        etaMinutes: answer.etaMinutes,
        occurredAt: now,
      });
      return accepted;
    }, (response) => response.trip_id);
  });
}

/**
 * Sends a unit of the accepting agency on its trip. The unit is locked as the trip is, so two trips assigned the
 * same unit at once take turns, and the second finds it no longer AVAILABLE.
 */
export function assignUnit(context: EmsContext, tripId: string, unitId: string): Promise<TripRow> {
  return auditedChange(context, { action: 'ASSIGN_UNIT', entityType: TRIP, entityId: tripId, details: { unitId } }, async (commit) => {
    const viewer = requireRole(context.viewer, DISPATCHERS, 'assign units to trips');
    return commit(async (trx) => {
      const trip = await lockServedTrip(trx, viewer, tripId);
      requireStep(trip, 'ASSIGNED', 'tripId');
      const unit = isId(unitId) ? await lockUnit(trx, unitId) : undefined;
      // Another agency's unit is answered like an unknown one: the caller learns nothing about other fleets.
      if (!unit || !sameId(unit.agency_id, trip.assigned_agency_id)) throw badInput(`Unit ${unitId} is not a unit of your agency.`, 'unitId');
      if (!unit.is_active) throw badInput(`Unit ${unit.unit_number} is retired.`, 'unitId');
      if (unit.status !== 'AVAILABLE') throw badInput(`Unit ${unit.unit_number} is ${unit.status}, not AVAILABLE.`, 'unitId');
      if (!SERVES[unit.level].includes(trip.transport_level)) {
        throw badInput(`Unit ${unit.unit_number} is a ${unit.level} unit and cannot serve a ${trip.transport_level} trip.`, 'unitId');
      }
      const assigned = await updateTrip(trx, trip.id, { status: 'ASSIGNED', assigned_unit_id: unit.id });
      await updateUnit(trx, unit.id, { status: 'COMMITTED' });
      await reportProgress(trx, trip.id, {
        status: 'ASSIGNED',
        agencyId: unit.agency_id,
        unitId: unit.id,
        reportedById: viewer.userId,
        notes: null,
        etaMinutes: null,
        occurredAt: new Date(),
      });
      return assigned;
    }, (row) => row.id);
  });
}

/** Records where a trip is, as its crew reports it; the unit follows, and the hospital is told. */
export function reportTripProgress(context: EmsContext, tripId: string, status: TransportStatus, notes: string | null | undefined): Promise<TripRow> {
  return auditedChange(context, { action: 'REPORT_TRIP_PROGRESS', entityType: TRIP, entityId: tripId, details: { status } }, async (commit) => {
    const viewer = requireRole(context.viewer, PROGRESS_REPORTERS, 'report trip progress');
    if (!CREW_STATUSES.includes(status)) throw badInput(`\`status\` must be one of ${CREW_STATUSES.join(', ')}.`, 'status');
    const text = optionalText(notes, 'notes', 2000);
    return commit(async (trx) => {
      const trip = await lockServedTrip(trx, viewer, tripId);
      requireStep(trip, status, 'status');
      const moved = await updateTrip(trx, trip.id, { status });
      if (trip.assigned_unit_id) await unitFollowsTrip(trx, trip.assigned_unit_id, status);
      await reportProgress(trx, trip.id, {
        status,
        agencyId: trip.assigned_agency_id,
        unitId: trip.assigned_unit_id,
        reportedById: viewer.userId,
        notes: text,
        etaMinutes: null,
        occurredAt: new Date(),
      });
      return moved;
    }, (row) => row.id);
  });
}
