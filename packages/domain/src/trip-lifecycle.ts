import type { TransportStatus } from './enums.js';

/**
 * The one state machine of a trip. Every silo that applies a status change asks it first, so a hospital, the
 * ems copy of a trip and the center's facts can never disagree on what is allowed.
 */
const FORWARD_PATH: readonly TransportStatus[] = [
  'REQUESTED',
  'ACCEPTED',
  'ASSIGNED',
  'EN_ROUTE',
  'AT_PICKUP',
  'TRANSPORTING',
  'AT_DESTINATION',
  'COMPLETED',
];

const TERMINAL: ReadonlySet<TransportStatus> = new Set(['COMPLETED', 'CANCELLED', 'EXPIRED']);

/** A patient on board is never "cancelled": from TRANSPORTING on, the trip has to be completed. */
const CANCELLABLE: ReadonlySet<TransportStatus> = new Set(['REQUESTED', 'ACCEPTED', 'ASSIGNED', 'EN_ROUTE', 'AT_PICKUP']);

export function isTerminal(status: TransportStatus): boolean {
  return TERMINAL.has(status);
}

export function isCancellable(status: TransportStatus): boolean {
  return CANCELLABLE.has(status);
}

export function allowedTransitions(from: TransportStatus): TransportStatus[] {
  if (isTerminal(from)) return [];
  const next = FORWARD_PATH[FORWARD_PATH.indexOf(from) + 1];
  const targets: TransportStatus[] = next ? [next] : [];
  if (isCancellable(from)) targets.push('CANCELLED');
  if (from === 'REQUESTED') targets.push('EXPIRED');
  return targets;
}

export function canTransition(from: TransportStatus, to: TransportStatus): boolean {
  return allowedTransitions(from).includes(to);
}

/**
 * Whether a trip at `from` can still get to `to` by legal steps, one or more. A silo following another silo's
 * status applies a status only when it is reachable: one that is not is behind the trip (an echo of a change this
 * silo made itself, a late or repeated event) or on a branch the trip did not take, and changes nothing. A status
 * never reaches itself, so a repeated event is a no-op too.
 */
export function canReach(from: TransportStatus, to: TransportStatus): boolean {
  const seen = new Set<TransportStatus>([from]);
  const pending: TransportStatus[] = [from];
  while (pending.length > 0) {
    for (const next of allowedTransitions(pending.shift()!)) {
      if (next === to) return true;
      if (!seen.has(next)) {
        seen.add(next);
        pending.push(next);
      }
    }
  }
  return false;
}

/**
 * Whether a crew's report overrides a cancellation. A cancellation decided on stale knowledge (the hospital still
 * saw the unit at the pickup, its events delayed by an outage) cannot unload a patient: once the crew reports the
 * patient on board or beyond, the trip carries on, and every silo follows the crew rather than the cancellation.
 * This is the one way out of a terminal status.
 */
export function overridesCancellation(current: TransportStatus, reported: TransportStatus): boolean {
  return current === 'CANCELLED' && !isCancellable(reported) && FORWARD_PATH.includes(reported);
}

/**
 * Position of a status on the way to an end, used to ignore events that arrive late: an event whose status is
 * not ahead of the current one never moves a trip backwards. Terminal states rank last.
 */
export function lifecycleRank(status: TransportStatus): number {
  if (status === 'CANCELLED' || status === 'EXPIRED') return FORWARD_PATH.length;
  return FORWARD_PATH.indexOf(status);
}

/**
 * The column that records when a trip reached each status. Every silo that keeps trip times (the hospital's
 * transport requests, the center's facts) uses these names, so the same event stamps the same column everywhere.
 */
export const MILESTONE_COLUMN = {
  REQUESTED: 'requested_at',
  ACCEPTED: 'accepted_at',
  ASSIGNED: 'assigned_at',
  EN_ROUTE: 'en_route_at',
  AT_PICKUP: 'at_pickup_at',
  TRANSPORTING: 'picked_up_at',
  AT_DESTINATION: 'at_destination_at',
  COMPLETED: 'completed_at',
  CANCELLED: 'cancelled_at',
  EXPIRED: 'expired_at',
} as const satisfies Record<TransportStatus, string>;
