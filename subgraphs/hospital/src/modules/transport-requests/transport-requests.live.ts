import { sameId } from '@medport/auth';
import type { TransportStatus } from '@medport/domain';
import type { TypedEvent } from '@medport/events';
import { liveSubscription } from '@medport/server';
import type { HospitalContext } from '../../context.js';
import { getTransportRequest, tripScope } from './transport-requests.manager.js';
import { findTransportRequestsByIds } from './transport-requests.repository.js';
import type { TransportRequestRow } from './transport-requests.table.js';

/** One status change of a trip, as `Subscription.tripStatusChanged` delivers it. */
export interface TripStatusChange {
  trip: TransportRequestRow;
  status: TransportStatus;
  previousStatus: TransportStatus | null;
  changedAt: string;
}

/**
 * The status changes of the trips the caller may see, from this silo's outbox: a new trip (REQUESTED) and every
 * change the hospital recorded. Whether the caller may see a trip is decided at each event on the trip as it is
 * then, in the caller's scope: an agency's subscribers stop receiving a trip once it is no longer assigned to it.
 * Following one trip the caller may not see is NOT_FOUND, exactly like a query for it.
 */
export async function subscribeToTripStatus(context: HospitalContext, transportRequestId: string | null | undefined) {
  const scope = tripScope(context);
  if (transportRequestId != null) await getTransportRequest(context, transportRequestId);
  return liveSubscription<TripStatusChange>(context.live, ['TripRequested', 'TripStatusChanged'], async (event) => {
    const change = toChange(event as TypedEvent<'TripRequested'> | TypedEvent<'TripStatusChanged'>);
    if (transportRequestId != null && !sameId(change.tripId, transportRequestId)) return [];
    const [trip] = await findTransportRequestsByIds(context.db, scope, [change.tripId]);
    return trip ? [{ trip, status: change.status, previousStatus: change.previousStatus, changedAt: change.changedAt }] : [];
  });
}

function toChange(event: TypedEvent<'TripRequested'> | TypedEvent<'TripStatusChanged'>) {
  if (event.type === 'TripRequested') {
    return { tripId: event.payload.tripId, status: 'REQUESTED' as const, previousStatus: null, changedAt: event.payload.requestedAt };
  }
  const { tripId, status, previousStatus, occurredAt } = event.payload;
  return { tripId, status, previousStatus, changedAt: occurredAt };
}
