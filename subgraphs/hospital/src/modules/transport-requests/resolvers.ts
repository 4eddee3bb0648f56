import type { PageArgs } from '@medport/graphql';
import type { HospitalContext } from '../../context.js';
import {
  cancelTransportRequest,
  changeTransportRequest,
  createTransportRequest,
  getTransportRequest,
  readPatientData,
  resolveTransportRequestReference,
  transportRequestConnection,
  type CancelTransportRequestInput,
  type CreateTransportRequestInput,
  type TransportRequestFilterInput,
  type UpdateTransportRequestInput,
} from './transport-requests.manager.js';
import type { TransportRequestRow, TripHistoryRow } from './transport-requests.table.js';

const reference = (__typename: string, id: string | null) => (id ? { __typename, id } : null);

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
    createdBy: (trip: TransportRequestRow) => reference('User', trip.created_by_id),
    history: (trip: TransportRequestRow, _: unknown, context: HospitalContext) => context.loaders.historyByTrip.load(trip.id),
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
    cancellation: (trip: TransportRequestRow) =>
      trip.status === 'CANCELLED' && trip.cancellation_reason && trip.cancellation_party && trip.cancelled_at
        ? { reason: trip.cancellation_reason, party: trip.cancellation_party, notes: trip.cancellation_notes, cancelledAt: trip.cancelled_at }
        : null,
    updatedAt: (trip: TransportRequestRow) => trip.updated_at,
  },
  TripHistoryEntry: {
    occurredAt: (entry: TripHistoryRow) => entry.occurred_at,
    updatedBy: (entry: TripHistoryRow) => reference('User', entry.updated_by_id),
  },
};
