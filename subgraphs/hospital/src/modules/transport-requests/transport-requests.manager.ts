import { auditedChange } from '@medport/audit';
import {
  canTransition,
  isCancellable,
  MILESTONE_COLUMN,
  newId,
  type CancellationParty,
  type CancellationReason,
  type SpecialRequirement,
  type TransportLevel,
  type TransportPriority,
} from '@medport/domain';
import { forbidden, HOSPITAL_ROLES, isCenterStaff, requireRole, requireViewer, tenantScopeOf, worksFor, type Viewer } from '@medport/auth';
import {
  badInput,
  groupConnection,
  isId,
  notFound,
  optionalText,
  parsePage,
  requireDistinct,
  requireTimeRange,
  toConnection,
  type Connection,
  type Cursor,
  type PageArgs,
  type TimeRange,
} from '@medport/graphql';
import { mayKnowHospitalAccounts } from '../../access.js';
import type { HospitalContext } from '../../context.js';
import type { FacilityRow } from '../facilities/facilities.table.js';
import { recordPatientDataRead, tripChange, tripNotVisible } from './transport-requests.audit.js';
import {
  insertTransportRequest,
  insertTripHistory,
  listTransportRequests,
  lockTransportRequest,
  updateTransportRequest,
  type TransportRequestFilter,
} from './transport-requests.repository.js';
import type { TransportRequestRow, TransportRequestUpdate } from './transport-requests.table.js';
import { isInTripScope, type TripScope } from './trip-scope.js';
import { findOfferableAgencyIds } from '../agency-preferences/agency-preferences.repository.js';
import { offerDeadlineSeconds } from '../network-settings/network-settings.js';
import { publishTripPlanChanged, publishTripRequested, publishTripStatusChanged } from './transport-requests.events.js';

export interface CreateTransportRequestInput {
  originFacilityId: string;
  destinationFacilityId: string;
  patientReference: string;
  transportLevel: TransportLevel;
  priority: TransportPriority;
  specialRequirements?: SpecialRequirement[] | null;
  scheduledPickupAt?: Date | null;
  notes?: string | null;
}

export interface UpdateTransportRequestInput {
  destinationFacilityId?: string | null;
  transportLevel?: TransportLevel | null;
  priority?: TransportPriority | null;
  specialRequirements?: SpecialRequirement[] | null;
  scheduledPickupAt?: Date | null;
  notes?: string | null;
}

export interface CancelTransportRequestInput {
  reason: CancellationReason;
  party: CancellationParty;
  notes?: string | null;
}

export interface TransportRequestFilterInput {
  hospitalId?: string | null;
  status?: TransportRequestFilter['statuses'];
  transportLevel?: TransportRequestFilter['transportLevels'];
  priority?: TransportRequestFilter['priorities'];
  assignedAgencyId?: string | null;
  originFacilityId?: string | null;
  requested?: TimeRange | null;
}

/** The columns of a trip's plan: what ems and the center keep a copy of. */
const PLAN_COLUMNS = ['destination_facility_id', 'transport_level', 'priority', 'special_requirements', 'scheduled_pickup_at'] as const;

/**
 * An opaque reference such as an MRN or encounter number. Spaces are refused so that a patient's name is not
 * typed here by mistake: trip records travel to agencies and analytics, names must not.
 */
const PATIENT_REFERENCE = /^[A-Za-z0-9][A-Za-z0-9._:-]{2,63}$/;

export function toRepositoryFilter(input: TransportRequestFilterInput): TransportRequestFilter {
  const range = requireTimeRange(input.requested ?? {}, 'filter.requested');
  for (const [field, value] of [
    ['filter.hospitalId', input.hospitalId],
    ['filter.assignedAgencyId', input.assignedAgencyId],
    ['filter.originFacilityId', input.originFacilityId],
  ] as const) {
    if (value && !isId(value)) throw badInput(`\`${field}\` is not a valid id.`, field);
  }
  return {
    hospitalId: input.hospitalId ?? null,
    statuses: input.status ?? null,
    transportLevels: input.transportLevel ?? null,
    priorities: input.priority ?? null,
    assignedAgencyId: input.assignedAgencyId ?? null,
    originFacilityId: input.originFacilityId ?? null,
    requestedFrom: range.from ?? null,
    requestedTo: range.to ?? null,
  };
}

/** The trips the request's caller may see. */
export function tripScope(context: HospitalContext): TripScope {
  return tenantScopeOf(requireViewer(context.viewer));
}

/** A trip the caller may see, or null: one outside its scope and one that does not exist look the same. */
function findVisibleTrip(context: HospitalContext, id: string): Promise<TransportRequestRow | null> {
  return isId(id) ? context.loaders.transportRequest.load(id) : Promise.resolve(null);
}

/** Every list of trips is newest first, so one cursor format serves them all. */
const tripCursor = (row: TransportRequestRow): Cursor => ({ key: row.requested_at.toISOString(), id: row.id });

export async function transportRequestConnection(
  context: HospitalContext,
  filterInput: TransportRequestFilterInput,
  args: PageArgs,
): Promise<Connection<TransportRequestRow>> {
  const filter = toRepositoryFilter(filterInput);
  const page = parsePage(args);
  const rows = await listTransportRequests(context.db, tripScope(context), filter, page);
  return toConnection(rows, page, tripCursor);
}

/**
 * One agency's page of the trips assigned to it, as far as the caller's scope reaches (an EMS user sees no trip of
 * another agency); the pages of all agencies in a list are fetched together.
 */
export async function agencyTripConnection(
  context: HospitalContext,
  agencyId: string,
  args: PageArgs & { status?: TransportRequestFilter['statuses'] },
): Promise<Connection<TransportRequestRow>> {
  // Anonymous callers are refused like `transportRequests` refuses them; the loader applies the caller's scope.
  requireViewer(context.viewer);
  return groupConnection(context.loaders.tripPagesOfAgencies, agencyId, { statuses: args.status ?? null }, args, tripCursor);
}

/**
 * One facility's page of the trips that start or end there, as far as the caller's scope reaches; the pages of all
 * facilities in a list are fetched together.
 */
export async function facilityTripConnection(
  context: HospitalContext,
  facilityId: string,
  args: PageArgs,
): Promise<Connection<TransportRequestRow>> {
  requireViewer(context.viewer);
  return groupConnection(context.loaders.tripPagesOfFacilities, facilityId, null, args, tripCursor);
}

/** One trip by id; NOT_FOUND (and a DENIED read on record) when the caller may not see it or it does not exist. */
export async function getTransportRequest(context: HospitalContext, id: string): Promise<TransportRequestRow> {
  const trip = await findVisibleTrip(context, id);
  if (!trip) {
    await recordPatientDataRead(context, id, 'DENIED');
    throw notFound('TransportRequest', id);
  }
  return trip;
}

/** `_entities`: null (and a DENIED read on record) for a trip the caller may not see, as for one that does not exist. */
export async function resolveTransportRequestReference(context: HospitalContext, id: string): Promise<TransportRequestRow | null> {
  const trip = await findVisibleTrip(context, id);
  if (!trip) await recordPatientDataRead(context, id, 'DENIED');
  return trip;
}

/**
 * Hands out one patient-data field of a trip once its reading is on record. Every path to a trip row goes through
 * the caller's scope; the check here only guards against a future path that forgets to.
 */
export async function readPatientData<T>(context: HospitalContext, trip: TransportRequestRow, value: T): Promise<T> {
  if (!isInTripScope(tripScope(context), trip)) {
    throw new Error(`Transport request ${trip.id} reached a patient-data field outside the caller's scope.`);
  }
  await recordPatientDataRead(context, trip.id, 'ALLOWED');
  return value;
}

/**
 * The account that requested or changed a trip, as a `User` reference, for the callers who may see that account:
 * center staff and the users of the trip's hospital (trips are requested and changed by its users). Anyone else,
 * an agency that sees the trip above all, gets null: the center would answer NOT_FOUND for the account, so its id
 * must not reach that caller through the trip either.
 */
export function tripAccountReference(
  context: HospitalContext,
  trip: TransportRequestRow,
  userId: string | null,
): { __typename: 'User'; id: string } | null {
  if (!userId || !mayKnowHospitalAccounts(requireViewer(context.viewer), trip.hospital_id)) return null;
  return { __typename: 'User', id: userId };
}

/** A facility by id: NOT_FOUND for an unknown one (facilities are public, so this reveals nothing). */
async function facilityById(context: HospitalContext, id: string): Promise<FacilityRow> {
  const facility = isId(id) ? await context.loaders.facility.load(id) : null;
  if (!facility) throw notFound('Facility', id);
  return facility;
}

function requireActive(facility: FacilityRow, field: string): FacilityRow {
  if (!facility.is_active) throw badInput(`\`${field}\`: facility ${facility.id} is inactive.`, field);
  return facility;
}

function requireScheduledPickup(value: Date | null | undefined): Date | null {
  if (!value) return null;
  // A pickup scheduled more than a day back is a typo, not a plan.
  if (value.getTime() < Date.now() - 24 * 60 * 60 * 1000) {
    throw badInput('`scheduledPickupAt` must not be more than a day in the past.', 'scheduledPickupAt');
  }
  return value;
}

/**
 * Hospital users request trips, and only from their own hospital's facilities: the requesting hospital is the one
 * that sends the patient. Facilities are public, so a foreign origin is a refused operation (FORBIDDEN).
 */
export async function createTransportRequest(context: HospitalContext, input: CreateTransportRequestInput): Promise<TransportRequestRow> {
  const details = { originFacilityId: input.originFacilityId };
  return auditedChange(context, tripChange('CREATE_TRANSPORT_REQUEST', null, details), async (commit) => {
    const viewer = requireRole(context.viewer, HOSPITAL_ROLES, 'request transports');
    const origin = await facilityById(context, input.originFacilityId);
    if (!worksFor(viewer, origin.hospital_id)) {
      throw forbidden('Transports can only be requested from a facility of your own hospital.');
    }
    const patientReference = input.patientReference.trim();
    if (!PATIENT_REFERENCE.test(patientReference)) {
      throw badInput(
        '`patientReference` must be an opaque id (3–64 letters, digits or . _ : -), such as an MRN; never a name.',
        'patientReference',
      );
    }
    if (input.originFacilityId === input.destinationFacilityId) {
      throw badInput('Origin and destination must be different facilities.', 'destinationFacilityId');
    }
    requireActive(origin, 'originFacilityId');
    const destination = requireActive(await facilityById(context, input.destinationFacilityId), 'destinationFacilityId');
    const specialRequirements = [...requireDistinct(input.specialRequirements ?? [], 'specialRequirements')];
    const scheduledPickupAt = requireScheduledPickup(input.scheduledPickupAt);
    const notes = optionalText(input.notes, 'notes');
    const now = new Date();

    return commit(async (trx) => {
      const trip = await insertTransportRequest(trx, {
        id: newId(),
        hospital_id: origin.hospital_id,
        patient_reference: patientReference,
        origin_facility_id: origin.id,
        destination_facility_id: destination.id,
        transport_level: input.transportLevel,
        priority: input.priority,
        status: 'REQUESTED',
        special_requirements: specialRequirements,
        notes,
        scheduled_pickup_at: scheduledPickupAt,
        requested_at: now,
        created_by_id: viewer.userId,
      });
      await insertTripHistory(trx, {
        id: newId(),
        transport_request_id: trip.id,
        status: 'REQUESTED',
        occurred_at: now,
        notes: null,
        updated_by_id: viewer.userId,
      });
      // The offer goes out with the trip: the outbox row commits with it or not at all.
      const preferredAgencyIds = await findOfferableAgencyIds(trx, origin.hospital_id);
      // The center's offer deadline once it announced one; the configured default until then.
      const deadlineSeconds = await offerDeadlineSeconds(trx, context.workflow.offerDeadlineSeconds);
      const responseDeadline = new Date(now.getTime() + deadlineSeconds * 1000);
      await publishTripRequested(trx, trip, origin, preferredAgencyIds, responseDeadline);
      return trip;
    }, (trip) => trip.id);
  });
}

/** Hospital users change their own hospital's trips; a trip outside their hospital does not exist for them. */
export async function changeTransportRequest(
  context: HospitalContext,
  id: string,
  input: UpdateTransportRequestInput,
): Promise<TransportRequestRow> {
  const details = { fields: Object.keys(input).sort().join(',') };
  return auditedChange(context, tripChange('UPDATE_TRANSPORT_REQUEST', id, details), async (commit) => {
    requireRole(context.viewer, HOSPITAL_ROLES, 'change transport requests');
    // Visibility first, so bad input for someone else's trip is NOT_FOUND (and DENIED), never a FAILED attempt.
    if (!(await findVisibleTrip(context, id))) throw tripNotVisible(id);
    const changes: TransportRequestUpdate = {};
    if (input.destinationFacilityId != null) {
      changes.destination_facility_id = requireActive(await facilityById(context, input.destinationFacilityId), 'destinationFacilityId').id;
    }
    if (input.transportLevel != null) changes.transport_level = input.transportLevel;
    if (input.priority != null) changes.priority = input.priority;
    if (input.specialRequirements != null) {
      changes.special_requirements = [...requireDistinct(input.specialRequirements, 'specialRequirements')];
    }
    if (input.scheduledPickupAt !== undefined) changes.scheduled_pickup_at = requireScheduledPickup(input.scheduledPickupAt);
    if (input.notes !== undefined) changes.notes = optionalText(input.notes, 'notes');

    const changed = await commit(async (trx) => {
      const trip = await lockTransportRequest(trx, tripScope(context), id);
      if (!trip) throw tripNotVisible(id);
      // Once the patient is on board (or the trip has ended) its details are history, not a plan.
      if (!isCancellable(trip.status)) {
        throw badInput(`A ${trip.status} transport request can no longer be changed.`, 'id');
      }
      if (changes.destination_facility_id === trip.origin_facility_id) {
        throw badInput('Origin and destination must be different facilities.', 'destinationFacilityId');
      }
      // The accepting agency sent a unit for the level asked; another level is another trip.
      if (changes.transport_level && changes.transport_level !== trip.transport_level && trip.status !== 'REQUESTED') {
        throw badInput('The level of care can only change until an agency accepts; cancel and request the trip again.', 'transportLevel');
      }
      if (Object.keys(changes).length === 0) return trip;
      const changed = await updateTransportRequest(trx, trip.id, changes);
      // Notes stay in the hospital; only a change of plan concerns the agencies and the center.
      if (PLAN_COLUMNS.some((column) => column in changes)) await publishTripPlanChanged(trx, changed);
      return changed;
    }, (trip) => trip.id);
    context.loaders.transportRequest.clear(id).prime(changed.id, changed);
    return changed;
  });
}

/** The party a caller cancels for; EMS cancellation arrives with the event flows. */
function cancellingParty(viewer: Viewer): CancellationParty {
  return isCenterStaff(viewer) ? 'CENTER' : 'HOSPITAL';
}

/**
 * The requesting hospital's users cancel for HOSPITAL and center administrators for CENTER. EMS roles cannot cancel
 * yet (that comes with the event flows that tell the hospital silo); center staff without admin rights never can.
 */
export async function cancelTransportRequest(
  context: HospitalContext,
  id: string,
  input: CancelTransportRequestInput,
): Promise<TransportRequestRow> {
  return auditedChange(context, tripChange('CANCEL_TRANSPORT_REQUEST', id, { party: input.party }), async (commit) => {
    const viewer = requireRole(context.viewer, [...HOSPITAL_ROLES, 'CENTER_ADMIN'], 'cancel transport requests');
    if (!(await findVisibleTrip(context, id))) throw tripNotVisible(id);
    const party = cancellingParty(viewer);
    if (input.party !== party) throw badInput(`As ${viewer.role} you cancel on behalf of party ${party}.`, 'party');
    const notes = optionalText(input.notes, 'notes');
    if (input.reason === 'OTHER' && !notes) throw badInput('Cancelling for reason OTHER needs `notes` that say why.', 'notes');

    const cancelled = await commit(async (trx) => {
      const trip = await lockTransportRequest(trx, tripScope(context), id);
      if (!trip) throw tripNotVisible(id);
      if (!canTransition(trip.status, 'CANCELLED')) {
        throw badInput(`A ${trip.status} transport request cannot be cancelled.`, 'id');
      }
      const now = new Date();
      const changed = await updateTransportRequest(trx, trip.id, {
        status: 'CANCELLED',
        [MILESTONE_COLUMN.CANCELLED]: now,
        cancellation_reason: input.reason,
        cancellation_party: party,
        cancellation_notes: notes,
      });
      await insertTripHistory(trx, {
        id: newId(),
        transport_request_id: trip.id,
        status: 'CANCELLED',
        occurred_at: now,
        notes,
        updated_by_id: viewer.userId,
      });
      await publishTripStatusChanged(trx, changed, trip.status, now);
      return changed;
    }, (trip) => trip.id);
    context.loaders.transportRequest.clear(id).prime(cancelled.id, cancelled);
    return cancelled;
  });
}
