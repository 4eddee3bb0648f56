import { describe, expect, it } from 'vitest';
import { allowedTransitions, canReach, canTransition, enumValues, isCancellable, lifecycleRank, overridesCancellation, TransportStatusEnum } from '../src/index.js';

describe('trip lifecycle', () => {
  it('moves forward one step at a time along the documented path', () => {
    const path = ['REQUESTED', 'ACCEPTED', 'ASSIGNED', 'EN_ROUTE', 'AT_PICKUP', 'TRANSPORTING', 'AT_DESTINATION', 'COMPLETED'] as const;
    for (let index = 0; index < path.length - 1; index++) {
      expect(canTransition(path[index]!, path[index + 1]!)).toBe(true);
      expect(canTransition(path[index + 1]!, path[index]!)).toBe(false);
    }
    expect(canTransition('REQUESTED', 'ASSIGNED')).toBe(false);
  });

  it('lets nothing leave a terminal status', () => {
    for (const status of ['COMPLETED', 'CANCELLED', 'EXPIRED'] as const) {
      expect(allowedTransitions(status)).toEqual([]);
    }
  });

  it('allows cancelling until the patient is on board, and expiring only while requested', () => {
    expect(isCancellable('AT_PICKUP')).toBe(true);
    expect(canTransition('AT_PICKUP', 'CANCELLED')).toBe(true);
    expect(canTransition('TRANSPORTING', 'CANCELLED')).toBe(false);
    expect(canTransition('REQUESTED', 'EXPIRED')).toBe(true);
    expect(canTransition('ACCEPTED', 'EXPIRED')).toBe(false);
  });

  it('ranks every status so that late events can be recognised', () => {
    const ranks = enumValues(TransportStatusEnum).map(lifecycleRank);
    expect(ranks.every((rank) => rank >= 0)).toBe(true);
    expect(lifecycleRank('TRANSPORTING')).toBeGreaterThan(lifecycleRank('ACCEPTED'));
    expect(lifecycleRank('CANCELLED')).toBeGreaterThan(lifecycleRank('AT_DESTINATION'));
  });

  it('reaches a status ahead along legal steps, skipping steps another silo has not seen yet', () => {
    expect(canReach('REQUESTED', 'ACCEPTED')).toBe(true);
    expect(canReach('ACCEPTED', 'EN_ROUTE')).toBe(true);
    expect(canReach('ASSIGNED', 'COMPLETED')).toBe(true);
    expect(canReach('AT_PICKUP', 'CANCELLED')).toBe(true);
    expect(canReach('REQUESTED', 'EXPIRED')).toBe(true);
  });

  it('never reaches the same status, a status behind, or a branch the trip left', () => {
    expect(canReach('EN_ROUTE', 'EN_ROUTE')).toBe(false);
    expect(canReach('EN_ROUTE', 'ACCEPTED')).toBe(false);
    expect(canReach('COMPLETED', 'EN_ROUTE')).toBe(false);
    expect(canReach('TRANSPORTING', 'CANCELLED')).toBe(false);
    expect(canReach('ACCEPTED', 'EXPIRED')).toBe(false);
    expect(canReach('EXPIRED', 'CANCELLED')).toBe(false);
    expect(canReach('CANCELLED', 'EXPIRED')).toBe(false);
  });

  it('agrees with the rank: whatever is reachable ranks higher, and every single legal step is reachable', () => {
    const statuses = enumValues(TransportStatusEnum);
    for (const from of statuses) {
      for (const to of statuses) {
        if (canReach(from, to)) expect(lifecycleRank(to), `${from} -> ${to}`).toBeGreaterThan(lifecycleRank(from));
        if (canTransition(from, to)) expect(canReach(from, to), `${from} -> ${to}`).toBe(true);
      }
    }
  });

  it('lets only a report of the patient on board or beyond override a cancellation', () => {
    for (const reported of ['TRANSPORTING', 'AT_DESTINATION', 'COMPLETED'] as const) {
      expect(overridesCancellation('CANCELLED', reported)).toBe(true);
    }
    for (const reported of ['REQUESTED', 'ACCEPTED', 'ASSIGNED', 'EN_ROUTE', 'AT_PICKUP', 'CANCELLED', 'EXPIRED'] as const) {
      expect(overridesCancellation('CANCELLED', reported)).toBe(false);
    }
    expect(overridesCancellation('EXPIRED', 'TRANSPORTING')).toBe(false);
    expect(overridesCancellation('COMPLETED', 'TRANSPORTING')).toBe(false);
  });
});
