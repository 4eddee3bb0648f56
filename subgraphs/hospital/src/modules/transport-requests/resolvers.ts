import type { TransportStatus } from '@medport/domain';
import type { PageArgs } from '@medport/graphql';
import type { HospitalContext } from '../../context.js';
import {
  agencyTripConnection,
  cancelTransportRequest,
  changeTransportRequest,
  createTransportRequest,
  getTransportRequest,
  readPatientData,
  resolveTransportRequestReference,
  transportRequestConnection,
  tripAccountReference,
  type CancelTransportRequestInput,
  type CreateTransportRequestInput,
  type TransportRequestFilterInput,
  type UpdateTransportRequestInput,
} from './transport-requests.manager.js';
import { subscribeToTripStatus, type TripStatusChange } from './transport-requests.live.js';
import type { TransportRequestRow, TripHistoryRow } from './transport-requests.table.js';
import type { LiveDelivery } from '@medport/server';

const reference = (__typename: string, id: string | null) => (id ? { __typename, id } : null);

/** A history row with the trip it belongs to (read in the caller's scope), for its patient data and its account. */
type TripHistoryEntry = TripHistoryRow & { trip: TransportRequestRow };

/** A cancelled trip's cancellation, with the trip, for its notes are the trip's patient data. */
interface Cancellation {
  trip: TransportRequestRow;
  reason: NonNullable<TransportRequestRow['cancellation_reason']>;
  party: NonNullable<TransportRequestRow['cancellation_party']>;
  cancelledAt: Date;
}

export const transportRequestResolvers = {
  Query: {
    transportRequests: (_: unknown, args: PageArgs & { filter?: TransportRequestFilterInput | null }, context: HospitalContext) =>
      transportRequestConnection(context, args.filter ?? {}, args),
    transportRequest: (_: unknown, args: { id: string }, context: HospitalContext) => getTransportRequest(context, args.id),
  },
  Mutation: {
    createTransportRequest: (_: unknown, args: { input: CreateTransportRequestInput }, context: HospitalContext) =>
      createTransportRequest(context, args.input),
    updateTransportRequest: (_: unknown, args: { id: string; input: UpdateTransportRequestInput }, context: HospitalContext) =>
      changeTransportRequest(context, args.id, args.input),
    cancelTransportRequest: (_: unknown, args: { id: string; input: CancelTransportRequestInput }, context: HospitalContext) =>
      cancelTransportRequest(context, args.id, args.input),
  },
  Subscription: {
    tripStatusChanged: {
      subscribe: (_: unknown, args: { transportRequestId?: string | null }, context: HospitalContext) =>
        subscribeToTripStatus(context, args.transportRequestId),
      resolve: (delivery: LiveDelivery<TripStatusChange>) => delivery.value,
    },
  },
  TripStatusChange: {
    transportRequest: (change: TripStatusChange) => change.trip,
  },
  TransportRequest: {
    __resolveReference: (ref: { id: string }, context: HospitalContext) => resolveTransportRequestReference(context, ref.id),
    transportLevel: (trip: TransportRequestRow) => trip.transport_level,
    // Patient data: each is returned only once its reading is on record.
    patientReference: (trip: TransportRequestRow, _: unknown, context: HospitalContext) =>
      readPatientData(context, trip, trip.patient_reference),
    specialRequirements: (trip: TransportRequestRow, _: unknown, context: HospitalContext) =>
      readPatientData(context, trip, trip.special_requirements),
    notes: (trip: TransportRequestRow, _: unknown, context: HospitalContext) => readPatientData(context, trip, trip.notes),
    origin: (trip: TransportRequestRow, _: unknown, context: HospitalContext) => context.loaders.facility.load(trip.origin_facility_id),
    destination: (trip: TransportRequestRow, _: unknown, context: HospitalContext) =>
      context.loaders.facility.load(trip.destination_facility_id),
    hospital: (trip: TransportRequestRow) => reference('Hospital', trip.hospital_id),
    assignedAgency: (trip: TransportRequestRow) => reference('Agency', trip.assigned_agency_id),
    assignedUnit: (trip: TransportRequestRow) => reference('Unit', trip.assigned_unit_id),
    createdBy: (trip: TransportRequestRow, _: unknown, context: HospitalContext) => tripAccountReference(context, trip, trip.created_by_id),
    history: async (trip: TransportRequestRow, _: unknown, context: HospitalContext): Promise<TripHistoryEntry[]> =>
      (await context.loaders.historyByTrip.load(trip.id)).map((entry) => ({ ...entry, trip })),
    scheduledPickupAt: (trip: TransportRequestRow) => trip.scheduled_pickup_at,
    requestedAt: (trip: TransportRequestRow) => trip.requested_at,
    acceptedAt: (trip: TransportRequestRow) => trip.accepted_at,
    assignedAt: (trip: TransportRequestRow) => trip.assigned_at,
    enRouteAt: (trip: TransportRequestRow) => trip.en_route_at,
    atPickupAt: (trip: TransportRequestRow) => trip.at_pickup_at,
    pickedUpAt: (trip: TransportRequestRow) => trip.picked_up_at,
    atDestinationAt: (trip: TransportRequestRow) => trip.at_destination_at,
    completedAt: (trip: TransportRequestRow) => trip.completed_at,
    expiredAt: (trip: TransportRequestRow) => trip.expired_at,
    cancellation: (trip: TransportRequestRow): Cancellation | null =>
      trip.status === 'CANCELLED' && trip.cancellation_reason && trip.cancellation_party && trip.cancelled_at
        ? { trip, reason: trip.cancellation_reason, party: trip.cancellation_party, cancelledAt: trip.cancelled_at }
        : null,
    updatedAt: (trip: TransportRequestRow) => trip.updated_at,
  },
  Agency: {
    // The agency's record is the ems silo's; here an agency is its id, and its trips are this silo's rows.
    __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
    trips: (agency: { id: string }, args: PageArgs & { status?: TransportStatus[] | null }, context: HospitalContext) =>
      agencyTripConnection(context, agency.id, args),
  },
  Cancellation: {
    // Free text like the trip's own notes, so patient data as well.
    notes: (cancellation: Cancellation, _: unknown, context: HospitalContext) =>
      readPatientData(context, cancellation.trip, cancellation.trip.cancellation_notes),
  },
  TripHistoryEntry: {
    occurredAt: (entry: TripHistoryEntry) => entry.occurred_at,
    // Free text like the trip's own notes, so patient data as well; on record for the trip (its transport_request_id).
    notes: (entry: TripHistoryEntry, _: unknown, context: HospitalContext) => readPatientData(context, entry.trip, entry.notes),
    updatedBy: (entry: TripHistoryEntry, _: unknown, context: HospitalContext) => tripAccountReference(context, entry.trip, entry.updated_by_id),
  },
};
